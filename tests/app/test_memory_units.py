"""The seed notes' conv-layer memory example (150x100x3, 200 5x5 filters, float32) reads the same on both pages
that compute it: "12.0 MB" with "= 11.4 MiB" under it, and "1.20 GB" / "= 1.12 GiB" for a batch of 100."""
from tests.app.conftest import open_page


def memory_tiles(at, labels: tuple[str, str]) -> list[tuple[str, str]]:
    """(value, the caption under it) of the metrics with these labels: each sits in its own column."""
    tiles = {}
    for column in at.columns:
        children = list(column.children.values())
        metrics = [child for child in children if child.type == "metric" and child.label in labels]
        captions = [child.value for child in children if child.type == "caption"]
        for metric in metrics:
            tiles[metric.label] = (metric.value, captions[0] if captions else None)
    return [tiles.get(label) for label in labels]


def test_the_conv_layer_memory_example_is_written_the_same_on_architectures_and_cnn_stages():
    architectures = open_page("pages/architectures.py", network="dnn")
    stages = open_page("pages/stages.py")
    expected = [("12.0 MB", "= 11.4 MiB"), ("1.20 GB", "= 1.12 GiB")]
    assert memory_tiles(architectures, ("Output per image", "Output per batch of 100")) == expected
    assert memory_tiles(stages, ("Memory per image", "Memory for a batch of 100")) == expected
    assert any("12.0 MB (11.4 MiB)" in caption.value and "1.20 GB (1.12 GiB)" in caption.value
               for caption in architectures.caption)
