//! The route tree: one node per pattern segment, matched segment by segment
//! with literal segments first, then `{param}`, then `{*catch_all}`, then a
//! nested router's fallback, backtracking when a branch fails.

use super::pattern::Part;

/// What matched a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The route with this index.
    Route(usize),
    /// The fallback of the nested router with this index.
    Fallback(usize),
}

/// Which segments each parameter took: `start..end` indexes into the
/// path's segments, in the order of the route's parameters.
pub(crate) type Captures = Vec<(usize, usize)>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    statics: Vec<(Box<[u8]>, Node)>,
    param: Option<Box<Node>>,
    catch_all: Option<usize>,
    route: Option<usize>,
    fallback: Option<usize>,
}

impl Node {
    /// Adds route `id` at `parts`; `Err` with the route already there.
    pub(crate) fn insert_route(&mut self, parts: &[Part], id: usize) -> Result<(), usize> {
        let (node, catch_all) = self.walk(parts);
        let slot = if catch_all {
            &mut node.catch_all
        } else {
            &mut node.route
        };
        match slot {
            Some(existing) => Err(*existing),
            None => {
                *slot = Some(id);
                Ok(())
            }
        }
    }

    /// Adds nested fallback `id` under the prefix `parts`; `Err` with the
    /// fallback already there.
    pub(crate) fn insert_fallback(&mut self, parts: &[Part], id: usize) -> Result<(), usize> {
        let (node, _) = self.walk(parts);
        match node.fallback {
            Some(existing) => Err(existing),
            None => {
                node.fallback = Some(id);
                Ok(())
            }
        }
    }

    /// The node for `parts` (created as needed), and whether it ended in a
    /// catch-all, which lives on the node before it.
    fn walk(&mut self, parts: &[Part]) -> (&mut Node, bool) {
        let mut node = self;
        for part in parts {
            node = match part {
                Part::Static(segment) => {
                    let at = match node.statics.iter().position(|(s, _)| s == segment) {
                        Some(at) => at,
                        None => {
                            node.statics.push((segment.clone(), Node::default()));
                            node.statics.len() - 1
                        }
                    };
                    &mut node.statics[at].1
                }
                Part::Param(_) => node.param.get_or_insert_with(Box::default),
                Part::CatchAll(_) => return (node, true),
            };
        }
        (node, false)
    }

    /// Finds what serves `segments`, recording the parameters' segments in
    /// `captures`.
    pub(crate) fn find(&self, segments: &[&[u8]], captures: &mut Captures) -> Option<Found> {
        self.find_from(segments, 0, captures)
    }

    fn find_from(
        &self,
        segments: &[&[u8]],
        depth: usize,
        captures: &mut Captures,
    ) -> Option<Found> {
        let Some(segment) = segments.get(depth) else {
            return self
                .route
                .map(Found::Route)
                .or(self.fallback.map(Found::Fallback));
        };
        if let Some((_, child)) = self.statics.iter().find(|(s, _)| **s == **segment)
            && let Some(found) = child.find_from(segments, depth + 1, captures)
        {
            return Some(found);
        }
        if let Some(child) = &self.param
            && !segment.is_empty()
        {
            captures.push((depth, depth + 1));
            if let Some(found) = child.find_from(segments, depth + 1, captures) {
                return Some(found);
            }
            captures.pop();
        }
        if let Some(route) = self.catch_all {
            captures.push((depth, segments.len()));
            return Some(Found::Route(route));
        }
        self.fallback.map(Found::Fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::super::pattern::Pattern;
    use super::*;

    fn tree(patterns: &[&str]) -> Node {
        let mut root = Node::default();
        for (id, text) in patterns.iter().enumerate() {
            root.insert_route(&Pattern::parse(text).unwrap().parts, id)
                .unwrap();
        }
        root
    }

    fn find(root: &Node, path: &str) -> Option<(Found, Captures)> {
        let segments: Vec<&[u8]> = path[1..].split('/').map(str::as_bytes).collect();
        let mut captures = Vec::new();
        root.find(&segments, &mut captures).map(|f| (f, captures))
    }

    #[test]
    fn literal_beats_param_beats_catch_all_with_backtracking() {
        let root = tree(&[
            "/items/new",
            "/items/{id}",
            "/items/{id}/edit",
            "/{*rest}",
            "/items/new/x/{y}",
        ]);
        assert_eq!(find(&root, "/items/new").unwrap().0, Found::Route(0));
        assert_eq!(
            find(&root, "/items/7").unwrap(),
            (Found::Route(1), vec![(1, 2)])
        );
        assert_eq!(
            find(&root, "/items/new/edit").unwrap(),
            (Found::Route(2), vec![(1, 2)])
        );
        assert_eq!(
            find(&root, "/items/7/other").unwrap(),
            (Found::Route(3), vec![(0, 3)])
        );
        assert_eq!(find(&root, "/").unwrap(), (Found::Route(3), vec![(0, 1)]));
        // `{id}` does not take an empty segment.
        assert_eq!(find(&root, "/items/").unwrap().0, Found::Route(3));
    }

    #[test]
    fn nested_fallbacks_own_their_prefix() {
        let mut root = tree(&["/api/items", "/{*rest}"]);
        root.insert_fallback(&Pattern::parse("/api").unwrap().parts, 0)
            .unwrap();
        assert_eq!(find(&root, "/api/items").unwrap().0, Found::Route(0));
        assert_eq!(find(&root, "/api/nope").unwrap().0, Found::Fallback(0));
        assert_eq!(find(&root, "/api").unwrap().0, Found::Fallback(0));
        assert_eq!(find(&root, "/apix").unwrap().0, Found::Route(1));
        assert_eq!(
            root.insert_fallback(&Pattern::parse("/api").unwrap().parts, 1),
            Err(0)
        );
    }

    #[test]
    fn same_place_twice_is_reported() {
        let mut root = tree(&["/a/{x}", "/b/{*x}"]);
        assert_eq!(
            root.insert_route(&Pattern::parse("/a/{y}").unwrap().parts, 5),
            Err(0)
        );
        assert_eq!(
            root.insert_route(&Pattern::parse("/b/{*y}").unwrap().parts, 5),
            Err(1)
        );
        assert!(find(&root, "/c").is_none());
    }
}
