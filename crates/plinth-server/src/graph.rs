//! The dependency graph as an SVG picture: plugins in columns by
//! dependency depth (a plugin sits right of everything it needs), boxes
//! colored by state, a line per dependency.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A plugin in the picture.
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) state: String,
}

/// `from` depends on `to`.
pub(crate) struct Edge {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) optional: bool,
}

const BOX_W: usize = 180;
const BOX_H: usize = 40;
const COL_W: usize = 240;
const ROW_H: usize = 60;
const MARGIN: usize = 20;

/// Text made safe for XML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn fill(state: &str) -> &'static str {
    match state {
        "active" => "#2e7d32",
        "failed" => "#c62828",
        "disabled" => "#757575",
        "missing" => "#ffffff",
        _ => "#f9a825",
    }
}

/// Each plugin's depth: 0 without dependencies, else one more than its
/// deepest dependency. A plugin seen again while its own depth is being
/// computed (a cycle, which the manager refuses anyway) counts as 0, so
/// that a bad graph still draws.
fn depths(names: &[&str], edges: &[Edge]) -> BTreeMap<String, usize> {
    fn depth(
        name: &str,
        needs: &BTreeMap<&str, Vec<&str>>,
        done: &mut BTreeMap<String, usize>,
        visiting: &mut Vec<String>,
    ) -> usize {
        if let Some(d) = done.get(name) {
            return *d;
        }
        if visiting.iter().any(|v| v == name) {
            return 0;
        }
        visiting.push(name.to_string());
        let d = needs
            .get(name)
            .into_iter()
            .flatten()
            .map(|dep| depth(dep, needs, done, visiting) + 1)
            .max()
            .unwrap_or(0);
        visiting.pop();
        done.insert(name.to_string(), d);
        d
    }
    let mut needs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for edge in edges {
        needs.entry(&edge.from).or_default().push(&edge.to);
    }
    let mut done = BTreeMap::new();
    for name in names {
        depth(name, &needs, &mut done, &mut Vec::new());
    }
    done
}

/// The picture. Dependencies that are not registered are drawn as dashed
/// white boxes, so that what is missing is visible.
pub(crate) fn render(nodes: &[Node], edges: &[Edge]) -> String {
    let mut all: Vec<&Node> = nodes.iter().collect();
    let missing: Vec<Node> = edges
        .iter()
        .filter(|e| !nodes.iter().any(|n| n.name == e.to))
        .map(|e| Node {
            name: e.to.clone(),
            version: String::new(),
            state: "missing".into(),
        })
        .fold(Vec::new(), |mut v: Vec<Node>, n| {
            if !v.iter().any(|m| m.name == n.name) {
                v.push(n);
            }
            v
        });
    all.extend(missing.iter());
    let names: Vec<&str> = all.iter().map(|n| n.name.as_str()).collect();
    let depth = depths(&names, edges);
    // Position: column by depth, row by order within the column.
    let mut rows: BTreeMap<usize, usize> = BTreeMap::new();
    let mut at: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for node in &all {
        let col = depth.get(&node.name).copied().unwrap_or(0);
        let row = rows.entry(col).or_insert(0);
        at.insert(&node.name, (MARGIN + col * COL_W, MARGIN + *row * ROW_H));
        *row += 1;
    }
    let cols = rows.keys().max().map_or(1, |c| c + 1);
    let max_rows = rows.values().copied().max().unwrap_or(1).max(1);
    let width = 2 * MARGIN + (cols - 1) * COL_W + BOX_W;
    let height = 2 * MARGIN + (max_rows - 1) * ROW_H + BOX_H;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
    );
    svg.push_str(r##"<g class="edges" stroke="#555" stroke-width="1.5">"##);
    for edge in edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) =
            (at.get(edge.from.as_str()), at.get(edge.to.as_str()))
        else {
            continue;
        };
        let dash = if edge.optional {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = write!(
            svg,
            r#"<line class="edge" data-from="{}" data-to="{}" x1="{fx}" y1="{}" x2="{}" y2="{}"{dash}/>"#,
            escape(&edge.from),
            escape(&edge.to),
            fy + BOX_H / 2,
            tx + BOX_W,
            ty + BOX_H / 2,
        );
    }
    svg.push_str("</g>");
    for node in &all {
        let (x, y) = at[node.name.as_str()];
        let missing = node.state == "missing";
        let (stroke, text) = if missing {
            (r##"#c62828" stroke-dasharray="5 3"##, "#c62828")
        } else {
            ("#333", "#fff")
        };
        let label = if node.version.is_empty() {
            escape(&node.name)
        } else {
            format!("{} {}", escape(&node.name), escape(&node.version))
        };
        let _ = write!(
            svg,
            r#"<g class="node" data-state="{state}"><title>{name}: {state}</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}"/><text x="{tx}" y="{ty}" fill="{text}" text-anchor="middle">{label}</text></g>"#,
            state = escape(&node.state),
            name = escape(&node.name),
            fill = fill(&node.state),
            tx = x + BOX_W / 2,
            ty = y + BOX_H / 2 + 5,
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, state: &str) -> Node {
        Node {
            name: name.into(),
            version: "1.0.0".into(),
            state: state.into(),
        }
    }

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            optional: false,
        }
    }

    #[test]
    fn names_are_escaped() {
        let svg = render(&[node(r#"a<b&"c'"#, "active")], &[]);
        assert!(svg.contains("a&lt;b&amp;&quot;c&#39;"), "{svg}");
        assert!(!svg.contains("a<b"), "{svg}");
    }

    #[test]
    fn dependents_sit_right_of_their_dependencies() {
        let nodes = [node("c", "ready"), node("b", "active"), node("a", "failed")];
        let edges = [edge("c", "b"), edge("b", "a")];
        let d = depths(&["c", "b", "a"], &edges);
        assert_eq!((d["a"], d["b"], d["c"]), (0, 1, 2));
        let svg = render(&nodes, &edges);
        assert_eq!(svg.matches("<text").count(), 3);
        assert_eq!(svg.matches("<line").count(), 2);
    }

    #[test]
    fn a_cycle_still_draws_and_a_missing_dependency_shows() {
        let nodes = [node("a", "ready"), node("b", "ready")];
        let edges = [edge("a", "b"), edge("b", "a"), edge("a", "ghost")];
        let svg = render(&nodes, &edges);
        assert_eq!(svg.matches("<line").count(), 3);
        assert!(svg.contains(r#"data-state="missing""#), "{svg}");
    }
}
