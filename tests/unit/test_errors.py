"""One sentence per error, and no server paths in it: a full or read-only disk is said plainly."""
import errno

import pytest

from webapp.errors import DISK_FULL, DISK_READ_ONLY, describe_error


@pytest.mark.parametrize("code, sentence", [(errno.ENOSPC, DISK_FULL), (errno.EDQUOT, DISK_FULL),
                                            (errno.EROFS, DISK_READ_ONLY)])
def test_a_full_or_read_only_disk_is_one_sentence_without_paths(code, sentence):
    error = OSError(code, "whatever the system says", "/srv/lab/runs/.tmp-20260101-dnn-abcd")
    assert describe_error(error) == sentence
    assert sentence in ("The lab could not save: its disk is full.", "The lab could not save: its disk is read-only.")


def test_a_disk_error_wrapped_by_a_library_is_still_found():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/srv/lab/runs/x")
        except OSError as inner:
            raise RuntimeError("Unable to synchronously create file") from inner
    except RuntimeError as outer:
        assert describe_error(outer) == DISK_FULL
    assert describe_error(RuntimeError("h5py: errno = 28, error message = 'No space left on device'")) == DISK_FULL


def test_other_system_errors_name_no_server_path_on_pages_but_do_in_the_cli():
    error = IsADirectoryError(errno.EISDIR, "Is a directory", "/srv/lab/runs/x")
    assert describe_error(error, "Saving") == "Saving failed: Is a directory."
    assert "/srv/lab/runs/x" in describe_error(error, show_paths=True)
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/lab/secret.npz")
    assert "/srv" not in describe_error(missing)
    assert describe_error(missing, show_paths=True) == "No such file or folder: /srv/lab/secret.npz."
