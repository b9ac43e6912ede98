//! How deep a TOML document nests, measured before it is parsed into a tree.
//!
//! The TOML parser bounds a dotted key and the nesting of inline tables and
//! arrays separately, not their combination: keys of 79 parts in inline
//! tables 79 deep make a tree thousands of levels deep, whose building,
//! deserializing and dropping all recurse until the stack overflows. Its
//! own error for a long dotted key carries no position either. One pass
//! over the parser's events measures the real depth and points at the key
//! or bracket that goes too deep.

use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, Source, Span};

/// The deepest nesting accepted: tables, dotted key parts, arrays and inline
/// tables together. Real manifests use a handful of levels.
pub(crate) const MAX_NESTING: usize = 64;

/// The byte offset of the first key part or bracket nested deeper than
/// [`MAX_NESTING`], if any. Syntax errors are left to the parser proper.
pub(crate) fn too_deep(source: &str) -> Option<usize> {
    // Every level past the first takes a `.`, `[` or `{`: a document with
    // fewer of them cannot be too deep, and most manifests skip the pass.
    let openers = source
        .bytes()
        .filter(|b| matches!(b, b'.' | b'[' | b'{'))
        .count();
    if openers < MAX_NESTING {
        return None;
    }
    let source = Source::new(source);
    let tokens = source.lex().into_vec();
    let mut depth = Depth::default();
    toml_parser::parser::parse_document(&tokens, &mut depth, &mut ());
    depth.too_deep
}

#[derive(Default)]
struct Depth {
    /// While in a table header: whether it is `[[ ]]`.
    header: Option<bool>,
    /// Where the last table header starts.
    header_start: usize,
    /// The depth of the current table (its keys are one deeper).
    table: usize,
    /// Open inline tables and arrays.
    frames: Vec<Frame>,
    /// Parts of the key being read, and where it starts.
    key: usize,
    key_start: usize,
    /// The depth of the value about to be read after `=`.
    value: usize,
    too_deep: Option<usize>,
}

enum Frame {
    /// An inline table at this depth.
    Table(usize),
    /// An array whose elements are at this depth.
    Array(usize),
}

impl Depth {
    fn exceeds(&mut self, depth: usize, offset: usize) -> bool {
        if depth > MAX_NESTING {
            self.too_deep.get_or_insert(offset);
        }
        self.too_deep.is_some()
    }

    /// The depth of the table whose keys are being read.
    fn key_base(&self) -> usize {
        match self.frames.last() {
            Some(Frame::Table(depth)) => *depth,
            // Keys never sit directly in an array; after a syntax error any
            // guess will do.
            Some(Frame::Array(depth)) => *depth,
            None => self.table,
        }
    }

    /// The depth of a value starting here: an array element, or the value
    /// of the key just read.
    fn value_depth(&self) -> usize {
        match self.frames.last() {
            Some(Frame::Array(depth)) => *depth,
            _ => self.value,
        }
    }
}

impl EventReceiver for Depth {
    fn std_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.header = Some(false);
        self.header_start = span.start();
        self.frames.clear();
        self.key = 0;
    }

    fn array_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.header = Some(true);
        self.header_start = span.start();
        self.frames.clear();
        self.key = 0;
    }

    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header();
    }

    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header();
    }

    fn simple_key(
        &mut self,
        span: Span,
        _kind: Option<toml_parser::decoder::Encoding>,
        _error: &mut dyn ErrorSink,
    ) {
        if self.key == 0 {
            self.key_start = span.start();
        }
        self.key = self.key.saturating_add(1);
        match self.header {
            // An array of tables adds a level: the array, then its table.
            Some(array) => self.exceeds(self.key + usize::from(array), self.header_start),
            None => self.exceeds(self.key_base().saturating_add(self.key), self.key_start),
        };
    }

    fn key_val_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.value = self.key_base().saturating_add(self.key);
        self.key = 0;
    }

    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        // Refusing to enter stops the parser's own recursion too.
        if self.too_deep.is_some() {
            return false;
        }
        self.frames.push(Frame::Table(self.value_depth()));
        self.key = 0;
        true
    }

    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.frames.pop();
    }

    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        let elements = self.value_depth().saturating_add(1);
        if self.exceeds(elements, span.start()) {
            return false;
        }
        self.frames.push(Frame::Array(elements));
        true
    }

    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.frames.pop();
    }

    fn value_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.key = 0;
    }

    fn newline(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        if self.frames.is_empty() {
            self.key = 0;
        }
    }
}

impl Depth {
    fn close_header(&mut self) {
        if let Some(array) = self.header.take() {
            self.table = self.key + usize::from(array);
        }
        self.key = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(parts: usize) -> String {
        vec!["a"; parts].join(".")
    }

    #[test]
    fn counts_tables_keys_arrays_and_inline_tables_together() {
        // Padding so that the quick count does not skip the pass.
        let pad = ".".repeat(MAX_NESTING);
        let at_limit = format!("# {pad}\n[x]\n{} = 1\n", depth_of(MAX_NESTING - 1));
        assert_eq!(too_deep(&at_limit), None);
        let over = format!("# {pad}\n[x]\n{} = 1\n", depth_of(MAX_NESTING));
        assert_eq!(too_deep(&over), Some(over.find("\na.").unwrap() + 1));
        let arrays = format!("# {pad}\nk = {}1{}\n", "[".repeat(70), "]".repeat(70));
        let first = arrays.find('[').unwrap();
        assert_eq!(too_deep(&arrays), Some(first + MAX_NESTING - 1));
        let inline = format!("# {pad}\nk = {}1{}\n", "{ a = ".repeat(70), " }".repeat(70));
        assert!(too_deep(&inline).is_some());
        let tables = format!("# {pad}\n[[{}]]\n", depth_of(MAX_NESTING));
        assert_eq!(too_deep(&tables), Some(tables.find("[[").unwrap()));
    }

    #[test]
    fn shallow_documents_skip_the_pass() {
        assert_eq!(
            too_deep("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n"),
            None
        );
    }
}
