import io

import numpy as np
from PIL import Image

from webapp import stages
from webapp.stages import stage_images
from webapp.stages import KernelChoice, StageConfig


def test_the_diverging_map_is_blue_below_zero_white_at_zero_red_above():
    colours = stage_images.diverging(np.array([[-2.0, 0.0, 2.0, 9.0]]), limit=2.0)[0]
    assert tuple(colours[1]) == (255, 255, 255)
    assert colours[0][2] > colours[0][0] and colours[2][0] > colours[2][2]
    assert tuple(colours[3]) == tuple(colours[2])  # clipped at the limit


def test_maps_are_shrunk_for_display_only_and_tiny_maps_enlarged_with_square_pixels():
    stack = np.arange(1000 * 400 * 2, dtype=np.float32).reshape(1000, 400, 2)
    small = stage_images.shrink(stack, 250)
    assert small.shape == (250, 100, 2)
    assert small[0, 0, 1] == stack[:4, :4, 1].mean()
    assert stage_images.shrink(np.ones((10, 10, 1), np.float32), 250).shape == (10, 10, 1)
    big = stage_images.enlarge(np.arange(4, dtype=np.uint8).reshape(2, 2), 6)
    assert big.shape == (6, 6) and big[2, 2] == 0 and big[3, 3] == 3


def test_the_colour_scale_ignores_a_few_extreme_pixels():
    values = np.ones((100, 100), np.float32)
    values[0, 0] = 1000.0
    assert stage_images.colour_limit(values) == 1.0


def test_tiles_and_the_grid_png_cover_every_stage():
    photo = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(photo).save(encoded, "PNG")
    processed = stages.process_photo(encoded.getvalue(), KernelChoice(), StageConfig())
    view = stage_images.view_of(processed)
    assert [len(view.tiles[stage]) for stage in stages.STAGES] == [4, 4, 4, 4]
    assert view.tiles["relu"][0].caption.startswith("sobel-x: ") and "zeros" in view.tiles["relu"][0].caption
    assert view.headings["pool"] == "max pool (2x2, stride 2): 20x30x4"
    picture = Image.open(io.BytesIO(view.png()))
    assert picture.format == "PNG" and picture.width > 4 * 60


def test_encoded_tiles_carry_their_picture_as_png_bytes_pixel_for_pixel():
    """The page keeps the tiles encoded (st.image then sends the bytes as they are): the PNG must be the tile."""
    rng = np.random.default_rng(0)
    tiles = {"conv": [stage_images.Tile(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), "a"),
                      stage_images.Tile(rng.integers(0, 256, (3, 3, 3), dtype=np.uint8), "b")]}
    encoded = stage_images.encoded(tiles)
    assert [tile.caption for tile in encoded["conv"]] == ["a", "b"]
    for tile, original in zip(encoded["conv"], tiles["conv"]):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(tile.png))), original.image)
