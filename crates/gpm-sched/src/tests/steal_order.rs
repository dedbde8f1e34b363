//! Go's TestStealOrder: every random stealing order visits each P exactly once, for 1..=64 Ps.

use crate::steal::RandomOrder;

#[test]
fn steal_order_visits_each_p_once() {
    for procs in 1..=64u32 {
        let ord = RandomOrder::new(procs);
        let strides = (1..=procs).filter(|&i| gcd(i, procs) == 1).count() as u32;
        if procs >= 3 {
            assert!(strides >= 2, "too few coprimes for {procs}");
        }
        for stride in 0..strides {
            for start in 0..procs {
                let mut seen = vec![false; procs as usize];
                let mut n = 0;
                for p in ord.start(stride * procs + start) {
                    assert!(!seen[p], "procs {procs}: P {p} visited twice");
                    seen[p] = true;
                    n += 1;
                }
                assert_eq!(n, procs as usize, "procs {procs}: walk length");
            }
        }
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
