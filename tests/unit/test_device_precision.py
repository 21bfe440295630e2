from webapp import device


def test_bfloat16_is_native_only_with_the_cpu_flags():
    assert device.cpu_has_native_bfloat16("flags : fpu sse avx512f avx512_bf16 fma")
    assert device.cpu_has_native_bfloat16("flags : fpu amx_bf16 amx_tile")
    assert not device.cpu_has_native_bfloat16("flags : fpu sse avx2 fma")


def test_an_explicit_precision_is_kept():
    assert device.resolve_precision("float32") == "float32"
    assert device.resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    assert device.resolve_precision("auto") in ("float32", "mixed_bfloat16")


def test_quick_description_names_gpus_or_cores(monkeypatch):
    monkeypatch.setattr(device, "gpu_names_from_driver", lambda: ["NVIDIA H100"])
    assert device.describe_quickly() == "GPU: NVIDIA H100"
    monkeypatch.setattr(device, "gpu_names_from_driver", lambda: [])
    assert device.describe_quickly().startswith("CPU (")
