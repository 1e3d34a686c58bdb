//! Links between the pages of a long list, drawn as the GOV.UK pagination component: previous
//! and next, the first and last pages, those either side of the current one, and an ellipsis for
//! each gap, so a list of thousands of pages still has a handful of links.

/// One page's link in the list of pages.
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
    /// Pages were left out between this one and the one before it.
    pub after_gap: bool,
}

pub struct Pagination {
    /// What the pages are of, for the navigation's accessible name ("Pages of milestones").
    pub of: &'static str,
    /// The links drawn: always the current page and those either side of it.
    pub pages: Vec<PageLink>,
    size: usize,
    total: usize,
}

impl Pagination {
    /// Page `asked` (from 1; clamped to the pages there are) of `total` items, `size` a page;
    /// `link` gives a page's address.
    pub fn new(
        of: &'static str,
        total: usize,
        size: usize,
        asked: Option<usize>,
        link: impl Fn(usize) -> String,
    ) -> Self {
        let count = total.div_ceil(size).max(1);
        let page = asked.unwrap_or(1).clamp(1, count);
        let mut pages: Vec<PageLink> = Vec::new();
        for n in 1..=count {
            if n == 1 || n == count || n.abs_diff(page) <= 1 {
                let after_gap = pages.last().is_some_and(|p| p.number + 1 != n);
                pages.push(PageLink {
                    number: n,
                    href: link(n),
                    current: n == page,
                    after_gap,
                });
            }
        }
        Self {
            of,
            pages,
            size,
            total,
        }
    }

    fn page(&self) -> usize {
        self.pages
            .iter()
            .find(|p| p.current)
            .map_or(1, |p| p.number)
    }

    fn link(&self, number: usize) -> Option<&str> {
        self.pages
            .iter()
            .find(|p| p.number == number)
            .map(|p| p.href.as_str())
    }

    pub fn previous(&self) -> Option<&str> {
        self.page().checked_sub(1).and_then(|n| self.link(n))
    }

    pub fn next(&self) -> Option<&str> {
        self.link(self.page() + 1)
    }

    /// The first item shown, counted from 1 (0 when there are none).
    pub fn first(&self) -> usize {
        match self.total {
            0 => 0,
            _ => (self.page() - 1) * self.size + 1,
        }
    }

    /// The last item shown, counted from 1.
    pub fn last(&self) -> usize {
        (self.page() * self.size).min(self.total)
    }

    /// How many items there are on every page together.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether there is more than one page, and so anything to draw.
    pub fn needed(&self) -> bool {
        self.pages.len() > 1
    }

    /// The items of the current page, of all of them in order.
    pub fn slice<'a, T>(&self, all: &'a [T]) -> &'a [T] {
        let from = self.first().saturating_sub(1).min(all.len());
        &all[from..self.last().min(all.len()).max(from)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p: &Pagination) -> Vec<(usize, bool)> {
        p.pages.iter().map(|l| (l.number, l.after_gap)).collect()
    }

    #[test]
    fn a_long_list_shows_its_ends_and_the_pages_beside_the_current_one() {
        let p = Pagination::new("things", 1000, 50, Some(7), |n| format!("?page={n}"));
        assert_eq!(
            numbers(&p),
            [(1, false), (6, true), (7, false), (8, false), (20, true)]
        );
        assert_eq!((p.first(), p.last(), p.total()), (301, 350, 1000));
        assert_eq!(p.previous(), Some("?page=6"));
        assert_eq!(p.next(), Some("?page=8"));
        assert!(
            p.pages
                .iter()
                .find(|l| l.current)
                .is_some_and(|l| l.number == 7)
        );
    }

    #[test]
    fn a_page_past_the_end_is_the_last_and_a_short_list_needs_none() {
        let p = Pagination::new("things", 101, 50, Some(9), |n| n.to_string());
        assert_eq!((p.first(), p.last()), (101, 101));
        assert!(p.next().is_none());
        let items: Vec<u32> = (0..101).collect();
        assert_eq!(p.slice(&items), &[100]);
        let short = Pagination::new("things", 3, 50, None, |n| n.to_string());
        assert!(!short.needed());
        assert_eq!(short.slice(&items[..3]), &[0, 1, 2]);
        let none = Pagination::new("things", 0, 50, None, |n| n.to_string());
        assert_eq!(
            (none.first(), none.last(), none.slice(&items[..0]).len()),
            (0, 0, 0)
        );
    }
}
