import io

import numpy as np
import pytest
from PIL import Image

from webapp.images import ImageError, load_image, read_photo, sample_photos, to_array


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_rgba_png_keeps_its_alpha():
    image = Image.new("RGBA", (10, 8), (0, 0, 0, 0))
    image.putpixel((3, 2), (0, 0, 0, 255))
    loaded = load_image(encode(image, "PNG"))
    assert loaded.mode == "RGBA" and to_array(loaded)[2, 3, 3] == 255


def test_palette_with_transparency_becomes_rgba_and_cmyk_becomes_rgb():
    palette = Image.new("P", (4, 4), 0)
    palette.info["transparency"] = 0
    assert load_image(encode(palette, "PNG", transparency=0)).mode == "RGBA"
    assert load_image(encode(Image.new("CMYK", (4, 4), (0, 255, 0, 0)), "JPEG")).mode == "RGB"


def test_sixteen_bit_grey_is_scaled_to_eight_bits():
    values = np.array([[0, 65535], [32768, 256]], dtype=np.uint16)
    loaded = load_image(encode(Image.fromarray(values), "PNG"))
    assert loaded.mode == "L" and to_array(loaded).tolist() == [[0, 255], [128, 1]]


def test_an_animated_gif_gives_its_first_frame():
    frames = [Image.new("L", (6, 6), value) for value in (10, 200)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert to_array(load_image(data)).max() < 100


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (20, 10), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    assert load_image(encode(image, "JPEG", exif=exif)).size == (10, 20)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello, I am not a picture", "not an image"),
])
def test_empty_and_non_image_files_are_refused_in_one_sentence(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_a_truncated_file_is_refused():
    data = encode(Image.effect_noise((200, 200), 50).convert("RGB"), "JPEG")
    with pytest.raises(ImageError, match="truncated or damaged"):
        load_image(data[: len(data) // 2])


def test_images_over_the_pixel_limit_are_refused_before_decoding():
    big = encode(Image.new("L", (8000, 7000)), "PNG")  # 56 megapixels, a few kilobytes compressed
    with pytest.raises(ImageError, match="56 megapixels"):
        load_image(big)


def test_a_large_jpeg_can_be_decoded_at_reduced_scale():
    photo = encode(Image.new("RGB", (6000, 4000), (200, 180, 160)), "JPEG")  # a 24 MP phone photo
    loaded = load_image(photo, max_side=1000)
    assert max(loaded.size) <= 1000


@pytest.mark.parametrize("fmt", ["TIFF", "ICO", "PPM"])
def test_only_the_five_documented_formats_are_read(fmt):
    with pytest.raises(ImageError, match="use PNG, JPEG, WebP, BMP or GIF"):
        load_image(encode(Image.new("RGB", (16, 16), (10, 200, 30)), fmt))
    for documented in ("PNG", "JPEG", "WEBP", "BMP", "GIF"):
        assert load_image(encode(Image.new("RGB", (16, 16), (10, 200, 30)), documented)).size == (16, 16)


# -- photos ---------------------------------------------------------------------------------------------------
def test_transparency_is_laid_over_white_and_grayscale_gives_one_channel():
    image = Image.new("RGBA", (4, 3), (0, 0, 0, 0))
    pixels = read_photo(encode(image, "PNG"))
    assert pixels.shape == (3, 4, 3) and pixels.min() == 255
    assert read_photo(encode(Image.new("RGB", (4, 3), (255, 0, 0)), "PNG"), grayscale=True).shape == (3, 4, 1)


def test_every_sample_photo_is_there():
    samples = sample_photos()
    assert len(samples) == 4
    assert read_photo(samples["The cameraman (grey)"]).shape == (512, 512, 1)
