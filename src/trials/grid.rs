//! The 4x4 response grid: where each category's box is on the screen.

use crate::categories::Category;

/// A box on the screen in physical pixels (left, top, side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxRect {
    /// Left edge.
    pub left: i32,
    /// Top edge.
    pub top: i32,
    /// Side length.
    pub size: i32,
}

impl BoxRect {
    /// Whether a point lies inside the box (left and top edges included).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let (l, t, s) = (
            f64::from(self.left),
            f64::from(self.top),
            f64::from(self.size),
        );
        x >= l && x < l + s && y >= t && y < t + s
    }

    /// The centre of the box.
    pub fn centre(&self) -> (f64, f64) {
        let half = f64::from(self.size) / 2.0;
        (f64::from(self.left) + half, f64::from(self.top) + half)
    }
}

/// Sixteen boxes centred on the screen, filled column by column in the configured order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseGrid {
    boxes: [(Category, BoxRect); 16],
}

impl ResponseGrid {
    /// Lays out the grid on a `width` x `height` screen.
    pub fn new(order: &[Category; 16], width: u32, height: u32, box_size: u32, gap: u32) -> Self {
        let (size, gap) = (box_size as i32, gap as i32);
        let side = 4 * size + 3 * gap;
        let left = (width as i32 - side) / 2;
        let top = (height as i32 - side) / 2;
        let boxes = std::array::from_fn(|i| {
            let (column, row) = ((i / 4) as i32, (i % 4) as i32);
            let rect = BoxRect {
                left: left + column * (size + gap),
                top: top + row * (size + gap),
                size,
            };
            (order[i], rect)
        });
        ResponseGrid { boxes }
    }

    /// The category whose box contains the point, if any.
    pub fn hit(&self, x: f64, y: f64) -> Option<Category> {
        self.boxes
            .iter()
            .find(|(_, r)| r.contains(x, y))
            .map(|(c, _)| *c)
    }

    /// The box of a category.
    pub fn rect(&self, category: Category) -> BoxRect {
        self.boxes
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, r)| *r)
            .unwrap_or(self.boxes[0].1)
    }

    /// All boxes in grid order (column by column).
    pub fn boxes(&self) -> &[(Category, BoxRect); 16] {
        &self.boxes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use Category::*;

    fn original_grid() -> ResponseGrid {
        let order: Vec<Category> = Config::default()
            .final_cats_responses
            .iter()
            .map(|n| n.parse().expect("a category"))
            .collect();
        let order: [Category; 16] = order.try_into().expect("16 categories");
        ResponseGrid::new(&order, 1920, 1080, 129, 10)
    }

    #[test]
    fn the_first_column_reads_knife_airplane_keyboard_elephant() {
        let grid = original_grid();
        let first: Vec<Category> = grid.boxes()[..4].iter().map(|(c, _)| *c).collect();
        assert_eq!(first, vec![Knife, Airplane, Keyboard, Elephant]);
        assert_eq!(grid.rect(Knife).left, grid.rect(Elephant).left);
        assert_eq!(grid.rect(Bicycle).top, grid.rect(Knife).top);
        assert_eq!(grid.rect(Bicycle).left - grid.rect(Knife).left, 139);
    }

    #[test]
    fn the_grid_is_centred() {
        let grid = original_grid();
        // 4 * 129 + 3 * 10 = 546 pixels square.
        assert_eq!(
            grid.rect(Knife),
            BoxRect {
                left: 687,
                top: 267,
                size: 129
            }
        );
        assert_eq!(
            grid.rect(Dog),
            BoxRect {
                left: 1104,
                top: 684,
                size: 129
            }
        );
    }

    #[test]
    fn clicks_in_gaps_and_outside_hit_nothing() {
        let grid = original_grid();
        let knife = grid.rect(Knife);
        assert_eq!(grid.hit(687.0, 267.0), Some(Knife));
        assert_eq!(grid.hit(815.9, 395.9), Some(Knife));
        assert_eq!(grid.hit(816.0, 300.0), None); // gap
        assert_eq!(grid.hit(10.0, 10.0), None);
        let (x, y) = knife.centre();
        assert_eq!(grid.hit(x, y), Some(Knife));
    }
}
