//! Plugin files as plinth reads them: regular files of a bounded size
//! only, and compared between reads by [`FileStamp`] rather than by
//! content. Manifests, schema files, sandboxed components and the
//! server's reload all go through here.

mod read;
mod stamp;

pub use read::read_bounded;
pub use stamp::FileStamp;
