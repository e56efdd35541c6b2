//! Running a function over many items on every core, keeping the items' order.

use rayon::prelude::*;

/// `f` applied to every item on rayon's threads (one per core, each taking the next item as
/// it finishes one, so a few large items do not leave the other cores idle), results in item
/// order; `None` for an item whose call panicked (e.g. a decoder crashing on a hostile file),
/// so that the caller can report it instead of losing it.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    items
        .par_iter()
        .map(|item| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))).ok())
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
