"""Pipeline files: YAML or JSON read with the safe loaders only (a regular file, its size capped), and the
YAML and JSON the Augment page exports."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import albumentations as A
import yaml

from webapp.augment.checks import PipelineError, _plain
from webapp.augment.pipelines import export_note, pipeline_from_dict, pipeline_to_dict
from webapp.files import FileLimitError, read_file_capped
from webapp.formulas import format_bytes

MAX_FILE_BYTES = 1_000_000


def load_pipeline_file(source: bytes | str | Path, seed: int | None = None) -> A.Compose:
    """A pipeline from a YAML or JSON file (a path, or the bytes of an upload), checked and seeded."""
    return pipeline_from_dict(read_pipeline_file(source), seed)


def read_pipeline_file(source: bytes | str | Path) -> dict:
    """Parse a pipeline file with the safe loaders only and check it; returns the canonical serialised form."""
    data = _parse(*_read_text(source))
    return pipeline_to_dict(pipeline_from_dict(data))


def _read_text(source: bytes | str | Path) -> tuple[str, str]:
    suffix = ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        suffix = path.suffix.lower()
        try:  # a regular file only, its size capped before reading (never /dev/zero or a pipe)
            source = read_file_capped(path, MAX_FILE_BYTES + 1, what="pipeline file")
        except FileLimitError as error:
            raise PipelineError(str(error)) from None
    if len(source) > MAX_FILE_BYTES:
        raise PipelineError(f"The pipeline file is over {format_bytes(MAX_FILE_BYTES)}; a pipeline is a few kB.")
    try:
        text = bytes(source).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PipelineError("The pipeline file is not text (YAML or JSON in UTF-8).") from None
    if not text.strip():
        raise PipelineError("The pipeline file is empty.")
    return text, suffix


def _parse(text: str, suffix: str) -> Any:
    as_json = suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith("{"))
    try:
        return json.loads(text) if as_json else yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        kind = "JSON" if as_json else "YAML"
        if isinstance(error, yaml.constructor.ConstructorError):
            raise PipelineError(f"The pipeline file uses a YAML tag the safe loader refuses{line}; only plain "
                                "data is read, never Python objects.") from None
        raise PipelineError(f"The pipeline file is not valid {kind}{line}.") from None


class _PipelineDumper(yaml.SafeDumper):
    """YAML with short lists ([low, high]) on one line and mappings as blocks."""


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flat = all(not isinstance(item, (list, dict)) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_PipelineDumper.add_representer(list, _represent_list)


def pipeline_yaml(data: dict) -> str:
    """YAML that `A.load(path, data_format='yaml')` reads; an exported file says what size it is for."""
    note = export_note(data)
    header = "".join(f"# {line}\n" for line in textwrap.wrap(note, 100)) if note else ""
    return header + yaml.dump(_plain(data), Dumper=_PipelineDumper, sort_keys=False)


def pipeline_json(data: dict) -> str:
    return json.dumps(_plain(data), indent=2) + "\n"

