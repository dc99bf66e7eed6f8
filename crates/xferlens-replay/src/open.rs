//! Opening inputs without being tricked. Files inside a session directory
//! are opened with `O_NOFOLLOW` and checked with `fstat` on the open
//! descriptor, so a log swapped for a symlink between listing and opening
//! is refused, never read. Paths the user names are opened as given
//! (following links is the user's choice), but a device is refused and a
//! FIFO is opened without blocking, so `/dev/zero` or a FIFO with no
//! writer cannot hang a command.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// What kind of file a user-named input turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A regular file.
    Regular,
    /// A FIFO, socket or process-substitution pipe: read once, as a stream.
    Stream,
}

/// Why an input is refused before it is read.
fn refuse(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is a {kind}, not a log file or archive; not read"),
    )
}

/// Clears `O_NONBLOCK` again after a non-blocking open, so reads wait for
/// data as usual.
fn set_blocking(f: &File) -> io::Result<()> {
    let fd = f.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn open_flags(path: &Path, extra: i32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | extra)
        .open(path)
}

/// Classifies an open descriptor's `fstat`.
fn kind_of(m: &Metadata) -> io::Result<InputKind> {
    let t = m.file_type();
    if t.is_file() {
        Ok(InputKind::Regular)
    } else if t.is_fifo() || t.is_socket() {
        Ok(InputKind::Stream)
    } else if t.is_dir() {
        Err(refuse("directory"))
    } else if t.is_char_device() {
        Err(refuse("character device"))
    } else if t.is_block_device() {
        Err(refuse("block device"))
    } else {
        Err(refuse("special file"))
    }
}

/// Opens a file found inside a session directory: never through a
/// symlink (`O_NOFOLLOW`), and only if the open descriptor is a regular
/// file. A symlink gives an error of kind `InvalidInput` that says so.
pub fn open_in_session(path: &Path) -> io::Result<File> {
    checked_in_session(open_flags(path, libc::O_NOFOLLOW))
}

/// Opens a session directory, for [`open_in_dir`].
pub fn open_dir(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(path)
}

/// [`open_in_session`] for `name`, a plain file name (no `/`), relative
/// to the open directory `dir`: the kernel resolves one path component
/// instead of the whole path, which counts on fleets of 80,000 files.
pub fn open_in_dir(dir: &File, name: &str) -> io::Result<File> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a plain file name; not read",
        ));
    }
    let c =
        std::ffi::CString::new(name).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    // SAFETY: a valid descriptor and a NUL-terminated name; the result is
    // checked before use.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags) };
    let f = if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: `fd` was just opened and is owned by nothing else.
        Ok(unsafe { <File as std::os::unix::io::FromRawFd>::from_raw_fd(fd) })
    };
    checked_in_session(f)
}

/// The checks of [`open_in_session`] on the result of an `O_NOFOLLOW` open.
fn checked_in_session(opened: io::Result<File>) -> io::Result<File> {
    let f = match opened {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a symbolic link; not read (logs must be regular files in the session directory)",
        )),
        Err(e) => return Err(e),
    };
    let m = f.metadata()?;
    if !m.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file; not read",
        ));
    }
    // O_NONBLOCK means nothing for a regular file: no fcntl needed (two
    // system calls per file, on fleets of 80,000 files).
    Ok(f)
}

/// Opens a path the user named: a regular file or a stream (FIFO,
/// process substitution). Devices and directories are refused. The open
/// never blocks: a FIFO with no writer reads as empty.
pub fn open_input(path: &Path) -> io::Result<(File, InputKind)> {
    // A device is refused before it is opened (opening some has effects).
    if let Ok(m) = std::fs::metadata(path) {
        kind_of(&m)?;
    }
    let f = open_flags(path, 0)?;
    let kind = kind_of(&f.metadata()?)?;
    if kind == InputKind::Stream {
        set_blocking(&f)?;
    }
    Ok((f, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_and_devices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, b"x\n").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(open_in_session(&real).is_ok());
        let e = open_in_session(&link).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(open_in_session(dir.path()).is_err());
        let e = open_input(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(open_input(dir.path()).is_err());
        assert_eq!(open_input(&link).unwrap().1, InputKind::Regular);
    }

    #[test]
    fn opening_by_name_in_a_directory_has_the_same_checks() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), b"x\n").unwrap();
        std::fs::write(outside.path().join("secret"), b"s\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let d = open_dir(dir.path()).unwrap();
        let mut text = String::new();
        io::Read::read_to_string(&mut open_in_dir(&d, "real").unwrap(), &mut text).unwrap();
        assert_eq!(text, "x\n");
        let e = open_in_dir(&d, "link").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(open_in_dir(&d, "sub").is_err());
        assert_eq!(
            open_in_dir(&d, "missing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        // Names never leave the directory.
        let up = format!(
            "../{}/secret",
            outside.path().file_name().unwrap().to_str().unwrap()
        );
        for name in [up.as_str(), "..", ".", "", "a\0b"] {
            assert!(open_in_dir(&d, name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn fifo_without_writer_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (mut f, kind) = open_input(&fifo).unwrap();
        assert_eq!(kind, InputKind::Stream);
        let mut buf = Vec::new();
        io::Read::read_to_end(&mut f, &mut buf).unwrap();
        assert!(buf.is_empty());
    }
}
