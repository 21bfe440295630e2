"""Files a user names on the command line: regular files only, capped before reading."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from webapp import cli
from webapp.files import FileLimitError, read_file_capped
from webapp.stages import StageError, file_bank


def test_devices_pipes_folders_and_large_files_are_refused_before_reading(tmp_path):
    with pytest.raises(FileLimitError, match="not a regular file"):
        read_file_capped("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileLimitError, match="not a regular file"):  # and it does not wait for a writer
        read_file_capped(fifo)
    with pytest.raises(FileLimitError, match="^That is a folder, not a file.$"):
        read_file_capped(tmp_path)
    with pytest.raises(FileLimitError, match="^That is a folder, not an image file.$"):
        read_file_capped(tmp_path, what="image file")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileLimitError, match=r"too large \(101 bytes; the limit is 100 bytes\)"):
        read_file_capped(big, max_bytes=100)
    assert read_file_capped(big, max_bytes=101) == b"x" * 101


def test_cli_predict_refuses_dev_zero_with_one_sentence(capsys):
    assert cli.main(["predict", "/dev/zero", "--models", "dnn"]) == 1
    assert capsys.readouterr().err.strip() == ("/dev/zero: That is not a regular file (a device or a pipe, say): "
                                               "name a file on disk.")


def test_cli_stages_caps_the_photo_and_the_kernel_file_and_max_bytes_raises_the_cap(tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8)).save(photo)
    size = photo.stat().st_size
    assert cli.main(["stages", str(photo), "--max-bytes", str(size - 1)]) == 1
    assert "too large" in capsys.readouterr().err
    zero = tmp_path / "zero.npy"
    zero.symlink_to("/dev/zero")
    assert cli.main(["stages", str(photo), "--kernels", str(zero)]) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert cli.main(["stages", str(photo), "--max-bytes", str(size), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stages"][0]["shape"] == [32, 32, 1]


def test_complex_kernels_are_refused_not_cut_to_their_real_part(tmp_path):
    path = tmp_path / "complex.npy"
    np.save(path, np.ones((3, 3, 1, 1), np.complex64) * (1 + 2j))
    with pytest.raises(StageError, match="complex weights are refused"):
        file_bank(path)
