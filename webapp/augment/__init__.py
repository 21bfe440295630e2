"""Augmentation pipelines: build them from the registry, check them, save and load them, describe them.

A pipeline travels as Albumentations' own serialised form (`A.to_dict`), plain JSON data. Every way in
(the Augment page, a saved YAML or JSON file, a preset) goes through `pipeline_from_dict`, which checks each
transform and parameter against the registry (webapp/augment_registry.py) and builds an
`A.Compose(..., strict=True, seed=seed)`. A parameter may come in any form Albumentations accepts (a single
number, whole numbers or fractions, pixels for CoarseDropout's holes); the lab refuses only nonsense types
(`true` or text for a number) before Albumentations sees them, and values past the registry's safety limits
after Albumentations has normalised them (`limit: 30` becomes [-30, 30]). Building is cheap (well under a
millisecond per transform), so a trainer can build a freshly seeded pipeline for every batch instead of sharing
one random state.
Files are parsed with `json` or `yaml.safe_load` only (plain data, never Python objects), and each transform is
built by its registry name: `A.from_dict` is not used, since it builds any class Albumentations knows.

By topic: `pipelines` (steps, presets, building, sizes, export, words and code, applying to a batch),
`checks` (every argument against the registry: types, limits, sizes, odd and finite numbers) and `files`
(reading and writing YAML and JSON). Import from `webapp.augment`: it re-exports what the rest of the lab uses.
"""
import os

# Before the modules below import albumentations: it asks the internet for updates otherwise.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

from webapp.augment.checks import (MAX_TRANSFORMS, MAX_VALUES, PipelineError, _plain, _ranges, accepted_parameters,
                                   default_arguments, fits_image, transform_spec)
from webapp.augment.files import (MAX_FILE_BYTES, load_pipeline_file, pipeline_json, pipeline_yaml,
                                  read_pipeline_file)
from webapp.augment.pipelines import (DIGIT_SHAPE, PRESETS, Preset, Step, augment_batch, describe_pipeline,
                                      export_note, exported, has_target_size, pipeline_from_dict, pipeline_python,
                                      pipeline_to_dict, preset_pipeline, sized_for, step, steps_from_dict,
                                      steps_to_dict, target_size)

__all__ = ["DIGIT_SHAPE", "MAX_FILE_BYTES", "MAX_TRANSFORMS", "MAX_VALUES", "PRESETS", "PipelineError", "Preset",
           "Step", "_plain", "_ranges", "accepted_parameters", "augment_batch", "default_arguments",
           "describe_pipeline", "export_note", "exported", "fits_image", "has_target_size", "load_pipeline_file",
           "pipeline_from_dict", "pipeline_json", "pipeline_python", "pipeline_to_dict", "pipeline_yaml",
           "preset_pipeline", "read_pipeline_file", "sized_for", "step", "steps_from_dict", "steps_to_dict",
           "target_size", "transform_spec"]
