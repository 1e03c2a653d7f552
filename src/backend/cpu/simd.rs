//! `F32x4`: one signature for every target. wasm32 with `+simd128` uses `v128`, x86_64 uses SSE
//! (always present there), everything else a plain array, so the same kernels run everywhere and
//! the native tests exercise the same code shape the browser runs.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(clippy::should_implement_trait)]
mod imp {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    pub struct F32x4(v128);
    impl F32x4 {
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4(f32x4_splat(0.0))
        }
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(f32x4_splat(v))
        }
        /// # Safety
        /// `p` must point at 4 readable f32s.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(v128_load(p as *const v128))
        }
        /// # Safety
        /// `p` must point at 4 writable f32s.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F32x4(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F32x4(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            F32x4(f32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(f32x4_pmax(self.0, o.0))
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(clippy::should_implement_trait)]
mod imp {
    use core::arch::x86_64::*;
    #[derive(Clone, Copy)]
    pub struct F32x4(__m128);
    impl F32x4 {
        #[inline(always)]
        pub fn zero() -> Self {
            unsafe { F32x4(_mm_setzero_ps()) }
        }
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            unsafe { F32x4(_mm_set1_ps(v)) }
        }
        /// # Safety
        /// `p` must point at 4 readable f32s.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4(_mm_loadu_ps(p))
        }
        /// # Safety
        /// `p` must point at 4 writable f32s.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            _mm_storeu_ps(p, self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            unsafe { F32x4(_mm_add_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            unsafe { F32x4(_mm_sub_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            unsafe { F32x4(_mm_mul_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            unsafe { F32x4(_mm_max_ps(self.0, o.0)) }
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            let mut out = [0.0; 4];
            unsafe { _mm_storeu_ps(out.as_mut_ptr(), self.0) };
            out
        }
    }
}

#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
#[allow(clippy::should_implement_trait)]
mod imp {
    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);
    impl F32x4 {
        #[inline(always)]
        pub fn zero() -> Self {
            F32x4([0.0; 4])
        }
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4([v; 4])
        }
        /// # Safety
        /// `p` must point at 4 readable f32s.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            F32x4([*p, *p.add(1), *p.add(2), *p.add(3)])
        }
        /// # Safety
        /// `p` must point at 4 writable f32s.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            for i in 0..4 {
                *p.add(i) = self.0[i];
            }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] + o.0[i]))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] - o.0[i]))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] * o.0[i]))
        }
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i].max(o.0[i])))
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }
    }
}

pub use imp::F32x4;

/// `out[i] = f(a[i], b[i])` four lanes at a time, the tail in scalar code.
#[inline(always)]
pub fn map2(a: &[f32], b: &[f32], out: &mut [f32], v: impl Fn(F32x4, F32x4) -> F32x4, s: impl Fn(f32, f32) -> f32) {
    let n = out.len().min(a.len()).min(b.len());
    let body = n - n % 4;
    let mut i = 0;
    while i < body {
        // SAFETY: i + 4 <= n, within all three slices.
        unsafe { v(F32x4::load(a.as_ptr().add(i)), F32x4::load(b.as_ptr().add(i))).store(out.as_mut_ptr().add(i)) };
        i += 4;
    }
    for j in body..n {
        out[j] = s(a[j], b[j]);
    }
}

/// `out[i] = f(a[i])` four lanes at a time.
#[inline(always)]
pub fn map1(a: &[f32], out: &mut [f32], v: impl Fn(F32x4) -> F32x4, s: impl Fn(f32) -> f32) {
    let n = out.len().min(a.len());
    let body = n - n % 4;
    let mut i = 0;
    while i < body {
        // SAFETY: i + 4 <= n, within both slices.
        unsafe { v(F32x4::load(a.as_ptr().add(i))).store(out.as_mut_ptr().add(i)) };
        i += 4;
    }
    for j in body..n {
        out[j] = s(a[j]);
    }
}

/// `y[i] += alpha * x[i]`.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    let n = x.len().min(y.len());
    let body = n - n % 4;
    let va = F32x4::splat(alpha);
    let mut i = 0;
    while i < body {
        // SAFETY: i + 4 <= n.
        unsafe {
            let r = F32x4::load(y.as_ptr().add(i)).add(va.mul(F32x4::load(x.as_ptr().add(i))));
            r.store(y.as_mut_ptr().add(i));
        }
        i += 4;
    }
    for j in body..n {
        y[j] += alpha * x[j];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lanes_match_scalar_on_odd_lengths() {
        for n in [0usize, 1, 3, 4, 7, 33] {
            let a: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| 1.0 + i as f32).collect();
            let mut out = vec![0.0; n];
            map2(&a, &b, &mut out, |x, y| x.mul(y).add(x), |x, y| x * y + x);
            let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y + x).collect();
            assert_eq!(out, want);
            let mut y = b.clone();
            axpy(2.0, &a, &mut y);
            let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| y + 2.0 * x).collect();
            assert_eq!(y, want);
        }
    }
}
