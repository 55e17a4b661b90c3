//! Route patterns: `/items/{id}`, `/files/{*path}`, parsed once when the
//! route is added.

use std::sync::Arc;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Matches exactly this (decoded) segment.
    Static(Box<[u8]>),
    /// `{name}`: matches any one non-empty segment.
    Param(Arc<str>),
    /// `{*name}`: matches the rest of the path, one or more segments.
    CatchAll(Arc<str>),
}

/// A parsed route pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) text: Arc<str>,
    pub(crate) parts: Vec<Part>,
}

impl Pattern {
    /// Parses `text`; the error says what is wrong and how to write it.
    pub(crate) fn parse(text: &str) -> Result<Pattern, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "the route `{text}` must start with `/`, as in `/{text}`"
            ));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        let mut parts = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            parts.push(parse_segment(text, segment, last)?);
        }
        let pattern = Pattern {
            text: text.into(),
            parts,
        };
        pattern.check_names()?;
        Ok(pattern)
    }

    /// The pattern with its parameter names left out: two patterns of the
    /// same shape match exactly the same paths.
    #[cfg(test)]
    pub(crate) fn shape(&self) -> String {
        let mut shape = String::new();
        for part in &self.parts {
            shape.push('/');
            match part {
                Part::Static(bytes) => shape.push_str(&String::from_utf8_lossy(bytes)),
                Part::Param(_) => shape.push_str("{}"),
                Part::CatchAll(_) => shape.push_str("{*}"),
            }
        }
        shape
    }

    /// The names of the parameters, in order.
    pub(crate) fn names(&self) -> Vec<Arc<str>> {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Static(_) => None,
                Part::Param(name) | Part::CatchAll(name) => Some(Arc::clone(name)),
            })
            .collect()
    }

    /// `self` under the prefix `prefix` (for a nested router): a route `/`
    /// becomes the prefix itself.
    pub(crate) fn under(&self, prefix: &Pattern) -> Result<Pattern, String> {
        let (text, parts) = if self.parts == [Part::Static(Box::from(&b""[..]))] {
            (prefix.text.to_string(), prefix.parts.clone())
        } else {
            let mut parts = prefix.parts.clone();
            parts.extend(self.parts.iter().cloned());
            (format!("{}{}", prefix.text, self.text), parts)
        };
        let pattern = Pattern {
            text: text.into(),
            parts,
        };
        pattern.check_names()?;
        Ok(pattern)
    }

    /// Checks that `self` can be a nesting prefix.
    pub(crate) fn check_prefix(&self) -> Result<(), String> {
        let text = &self.text;
        match self.parts.last() {
            Some(Part::Static(last)) if last.is_empty() => Err(if &**text == "/" {
                "cannot nest a router at `/`: use `Router::merge` to add its routes to this one"
                    .to_owned()
            } else {
                format!(
                    "the nesting prefix `{text}` must not end with `/`: write `{}`",
                    text.trim_end_matches('/')
                )
            }),
            Some(Part::CatchAll(_)) => Err(format!(
                "the nesting prefix `{text}` ends in a catch-all, so nothing could follow it"
            )),
            _ => Ok(()),
        }
    }

    fn check_names(&self) -> Result<(), String> {
        let names = self.names();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(format!(
                    "the route `{}` has two parameters named `{name}`: give each its own name",
                    self.text
                ));
            }
        }
        Ok(())
    }
}

fn parse_segment(text: &str, segment: &str, last: bool) -> Result<Part, String> {
    if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let (name, catch_all) = match inner.strip_prefix('*') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!(
                "the route `{text}` has a parameter `{segment}` whose name is not an identifier: write `{{id}}` or `{{*path}}`"
            ));
        }
        if catch_all && !last {
            return Err(format!(
                "the route `{text}` has the catch-all `{segment}` before its end: a catch-all takes the rest of the path, so it must be the last segment"
            ));
        }
        return Ok(if catch_all {
            Part::CatchAll(name.into())
        } else {
            Part::Param(name.into())
        });
    }
    if segment.contains(['{', '}']) {
        return Err(format!(
            "the route `{text}` has `{segment}`: a parameter must be a whole segment, `{{name}}` or `{{*name}}`; take the segment whole and split it in the handler"
        ));
    }
    if let Some(name) = segment.strip_prefix(':') {
        return Err(format!(
            "the route `{text}` has `{segment}`: parameters are written `{{{name}}}` (`:{name}` is an older syntax)"
        ));
    }
    if segment.starts_with('*') {
        return Err(format!(
            "the route `{text}` has `{segment}`: a catch-all is written `{{{segment}}}`"
        ));
    }
    if segment == "." || segment == ".." {
        return Err(format!(
            "the route `{text}` has a `{segment}` segment, which never matches: the router resolves dot segments as the web server does"
        ));
    }
    if segment.is_empty() && !last {
        return Err(format!(
            "the route `{text}` has an empty segment (`//`), which never matches: the router merges repeated slashes as the web server does"
        ));
    }
    Ok(Part::Static(segment.as_bytes().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let pattern = Pattern::parse("/files/{dir}/{*rest}").unwrap();
        assert_eq!(
            pattern.parts,
            vec![
                Part::Static(Box::from(&b"files"[..])),
                Part::Param("dir".into()),
                Part::CatchAll("rest".into()),
            ]
        );
        assert_eq!(pattern.shape(), "/files/{}/{*}");
        assert_eq!(
            Pattern::parse("/").unwrap().parts,
            vec![Part::Static(Box::from(&b""[..]))]
        );
        assert_eq!(Pattern::parse("/a/").unwrap().shape(), "/a/");
    }

    #[test]
    fn errors_say_how_to_write_it() {
        let err = |text: &str| Pattern::parse(text).unwrap_err();
        assert!(err("items").contains("`/items`"));
        assert!(err("/items/:id").contains("`{id}`"));
        assert!(err("/files/*path").contains("`{*path}`"));
        assert!(err("/f/{name}.txt").contains("whole segment"));
        assert!(err("/f/{*rest}/x").contains("last segment"));
        assert!(err("/a//b").contains("empty segment"));
        assert!(err("/a/../b").contains("dot segments"));
        assert!(err("/{a}/{a}").contains("two parameters named `a`"));
        assert!(err("/{}").contains("not an identifier"));
        assert!(err("/{a-b}").contains("not an identifier"));
    }

    #[test]
    fn nesting() {
        let prefix = Pattern::parse("/api/{version}").unwrap();
        prefix.check_prefix().unwrap();
        let root = Pattern::parse("/").unwrap().under(&prefix).unwrap();
        assert_eq!(&*root.text, "/api/{version}");
        let item = Pattern::parse("/items/{id}")
            .unwrap()
            .under(&prefix)
            .unwrap();
        assert_eq!(&*item.text, "/api/{version}/items/{id}");
        assert_eq!(item.names().len(), 2);
        let clash = Pattern::parse("/x/{version}").unwrap().under(&prefix);
        assert!(
            clash
                .unwrap_err()
                .contains("two parameters named `version`")
        );
        assert!(Pattern::parse("/").unwrap().check_prefix().is_err());
        assert!(Pattern::parse("/api/").unwrap().check_prefix().is_err());
    }
}
