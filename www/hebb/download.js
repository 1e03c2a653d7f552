// Starts a browser download of a Blob (model.save('downloads://...') and the playground's
// Download button).

/** Starts the download of one file. */
export async function clickDownload(fileName, blob) {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.download = fileName;
  a.href = href;
  // One click per task, as TF.js does: browsers may drop a second download started in the same task.
  await new Promise((resolve) => setTimeout(resolve, 0));
  a.dispatchEvent(new MouseEvent('click'));
  // Revoking at once can cancel the download; the blob is freed a minute later instead.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
