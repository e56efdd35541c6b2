//! Running a function over many items on every core, keeping the items' order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` applied to every item, on as many threads as there are cores, results in item order;
/// `None` for an item whose call panicked (e.g. a decoder crashing on a hostile file), so that
/// the caller can report it instead of losing it. Threads take the next item as they finish
/// one, so a few large items do not leave the other cores idle.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(items.len());
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut results: Vec<(usize, Option<R>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        let result =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)));
                        done.push((i, result.ok()));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    let mut results = results.into_iter().peekable();
    (0..items.len())
        .map(|i| results.next_if(|(at, _)| *at == i).and_then(|(_, r)| r))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Vec<Option<u32>> = items.iter().map(|x| Some(x * 2)).collect();
        assert_eq!(super::map(&items, |x| x * 2), doubled);
        assert!(super::map(&Vec::<u32>::new(), |x| *x).is_empty());
    }

    #[test]
    fn a_panicking_item_is_reported_as_none_and_the_rest_survive() {
        let items = [1, 2, 3];
        let got = super::map(
            &items,
            |x| if *x == 2 { panic!("hostile input") } else { *x },
        );
        assert_eq!(got, vec![Some(1), None, Some(3)]);
    }
}
