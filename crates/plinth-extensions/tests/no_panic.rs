//! Manifests are untrusted input: whatever the text, parsing returns a
//! manifest or an error naming the file, line and column, and never panics.

use std::path::Path;

use plinth_extensions::{Manifest, ManifestError};
use proptest::prelude::*;

const VALID: &str = r#"[plugin]
name = "p"
version = "1.0.0"

[dependencies]
core = "^1"

[config.schema]
type = "object"

[permissions]
read = ["a/"]

[extensions."app:point"]
x = "module"
y = { module = "native:m", object = "o", auto = false }

[entities.assets]
logo = "x.svg"
"#;

fn check(text: &str) {
    match Manifest::parse(text, Path::new("p/plinth.toml")) {
        Ok(_) => {}
        Err(ManifestError::Invalid { line, column, .. }) => {
            assert!(line >= 1 && column >= 1, "{line}:{column}");
            assert!(
                line <= text.lines().count().max(1) + 1,
                "line {line} past the end"
            );
        }
        // Only a schema *file* is read, and none exists under `p/`.
        Err(ManifestError::Io { .. }) => {}
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        check(&text);
    }

    #[test]
    fn damaged_manifests_never_panic(cut in 0..VALID.len(), insert in "[\\[\\]{}=\",. a-z0-9\n@:^*-]{0,12}") {
        // Splice junk into a valid manifest at a char boundary.
        let at = (0..=cut).rev().find(|&i| VALID.is_char_boundary(i)).unwrap_or(0);
        let text = format!("{}{}{}", &VALID[..at], insert, &VALID[at..]);
        check(&text);
    }

    /// Brackets, dots and keys in any order, enough of them for the nesting
    /// check to run: it must follow any event stream, even a broken one.
    #[test]
    fn deeply_nested_junk_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec!["a", ".", "[", "]", "[[", "]]", "{", "}", " = ", "1", ",", "\n", "\"k\""]),
            64..400,
        )
    ) {
        check(&format!("{VALID}[entities.t]\n{}", parts.concat()));
    }

    #[test]
    fn any_values_in_the_plugin_table_never_panic(
        name in "[@/a-z0-9._ -]{0,20}",
        version in "[0-9a-z.+-]{0,12}",
        range in "[0-9^~*<>=., x-]{0,10}",
    ) {
        let text = format!(
            "[plugin]\nname = {name:?}\nversion = {version:?}\n[dependencies]\ndep = {range:?}\n"
        );
        check(&text);
    }
}
