"""`bench read`: reading accuracy per model and per variant on a folder of labelled pictures, and a sheet of
the misread pictures' preparation steps."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from webapp.bench.common import Log

LABELS_FILE = "labels.csv"


def read_labels(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of `folder/labels.csv` (`file,label[,variant]`, header optional) as dicts; a missing or
    malformed file raises ValueError with one sentence."""
    import csv
    from pathlib import Path

    path = Path(folder) / LABELS_FILE
    if not Path(folder).is_dir():
        raise ValueError(f"{folder} is not a folder.")
    if not path.is_file():
        raise ValueError(f"{folder} has no {LABELS_FILE} (one line per picture: file,label[,variant]).")
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in cells]
            if not cells or not cells[0] or (number == 1 and cells[0].lower() == "file"):
                continue
            if len(cells) < 2 or cells[1] not in tuple("0123456789"):
                raise ValueError(f"Line {number} of {LABELS_FILE} is not 'file,label[,variant]' with a label 0-9.")
            variant = cells[2] if len(cells) > 2 and cells[2] else "all"
            rows.append({"file": cells[0], "label": int(cells[1]), "variant": variant})
    if not rows:
        raise ValueError(f"{LABELS_FILE} in {folder} lists no pictures.")
    return rows


def read_benchmark(folder: str | os.PathLike, models: dict[str, Any], log: Log = print) -> dict[str, Any]:
    """Each model's accuracy per variant (and over all) on the labelled pictures of `folder`, read exactly as
    `predict` reads them. A picture that cannot be read, or where no digit is found, counts as wrong for every
    model. The failures list each wrong (file, model, label, answer or the reason); `doubted` lists the pictures
    that got the "may not be one digit" note."""
    from pathlib import Path

    from webapp.predict import predict_file

    rows = read_labels(folder)
    right: dict[str, dict[str, int]] = {name: {} for name in models}
    totals: dict[str, int] = {}
    failures, doubted = [], []
    for index, row in enumerate(rows, start=1):
        result = predict_file(Path(folder) / row["file"], models)
        totals[row["variant"]] = totals.get(row["variant"], 0) + 1
        if "note" in result:
            doubted.append(row["file"])
        for name in models:
            answer = result[name]["label"] if name in result else None
            correct = answer == row["label"]
            right[name][row["variant"]] = right[name].get(row["variant"], 0) + correct
            if not correct:
                failures.append({"file": row["file"], "variant": row["variant"], "model": name, "label": row["label"],
                                 "answer": answer, **({"error": result["error"]} if "error" in result else {})})
        if index % 100 == 0:
            log(f"read {index} of {len(rows)} pictures")
    accuracy = {name: {variant: right[name][variant] / count for variant, count in totals.items()} for name in models}
    for name in models:
        accuracy[name]["all"] = sum(right[name].values()) / len(rows)
    return {"benchmark": "read", "folder": str(folder), "pictures": len(rows), "variants": totals,
            "accuracy": accuracy, "failures": failures, "doubted": doubted}


def format_read_report(report: dict[str, Any]) -> str:
    """One line per model: its accuracy on each variant and over all pictures."""
    variants = [variant for variant in report["variants"] if variant != "all"]
    lines = [f"{report['pictures']} pictures in {report['folder']}"]
    for name, scores_by_variant in report["accuracy"].items():
        parts = [f"{variant} {scores_by_variant[variant]:.1%}" for variant in variants]
        lines.append(f"  {name}: " + ("  ".join(parts) + "  " if parts else "") + f"all {scores_by_variant['all']:.1%}")
    lines.append(f"  'may not be one digit' noted for {len(report['doubted'])} of {report['pictures']}")
    return "\n".join(lines)


def failure_sheet(folder: str | os.PathLike, failures: list[dict[str, Any]], thumb: int = 64) -> Any:
    """One row per misread picture: its file name, label and answers, then each preparation step side by side
    (ink, ruled lines removed, cropped, 20x20, 28x28), so where a digit goes wrong can be seen at a glance."""
    from pathlib import Path

    from PIL import Image, ImageDraw

    from webapp.digits import to_mnist
    from webapp.images import ImageError, load_image_file, to_array
    from webapp.predict import DECODE_MAX_SIDE

    answers: dict[str, list[str]] = {}
    for failure in failures:
        answers.setdefault(failure["file"], []).append(f"{failure['model']} {failure['answer']}")
    labels = {failure["file"]: failure["label"] for failure in failures}
    text_width, columns = 220, 5
    sheet = Image.new("L", (text_width + columns * (thumb + 4), max(1, len(answers)) * (thumb + 4)), 64)
    draw = ImageDraw.Draw(sheet)
    for row, (file, said) in enumerate(answers.items()):
        top = row * (thumb + 4)
        draw.text((4, top + 4), f"{file}\nlabel {labels[file]}\n" + "\n".join(said), fill=255)
        try:
            steps = to_mnist(to_array(load_image_file(Path(folder) / file, max_side=DECODE_MAX_SIDE))).steps
        except ImageError:
            continue
        for column, image in enumerate(list(steps.values())[:columns]):
            sheet.paste(_square_thumbnail(image, thumb), (text_width + column * (thumb + 4), top))
    return sheet


def save_png(image: Any, path: str | os.PathLike) -> None:
    """Write a PNG atomically: a temporary file beside it, moved into place in one step."""
    import tempfile
    from pathlib import Path

    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".png", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            image.save(out, "PNG")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _square_thumbnail(image: np.ndarray, side: int) -> Any:
    from PIL import Image

    height, width = image.shape
    square = np.zeros((max(height, width),) * 2, np.uint8)
    top, left = (square.shape[0] - height) // 2, (square.shape[1] - width) // 2
    square[top:top + height, left:left + width] = image
    return Image.fromarray(square).resize((side, side), Image.Resampling.BOX)
