"""Units and number formats: the book computes in SI (seconds, bytes, FLOP/s) and converts for display only.

CSV columns carry their unit in the name (``hbm_bandwidth_TBps``); the loaders multiply by the factors
here once, so that every function in ``lib`` sees plain SI numbers.
"""

from __future__ import annotations

import math

# Decimal prefixes, as vendors quote memory sizes and bandwidths (GB = 1e9 bytes, not GiB).
KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15
EXA = 1e18

#: Bytes per element of each numeric format the book uses for weights, activations and KV cache.
#: ``mxfp4`` is the OCP microscaling format: 4-bit elements plus one 8-bit scale per block of 32,
#: 4.25 bits per element (gpt-oss ships its expert weights in it). ``nvfp4`` is NVIDIA's: 4-bit elements
#: plus one fp8 (E4M3) scale per block of 16, 4.5 bits per element (its per-tensor fp32 scale is negligible;
#: https://developer.nvidia.com/blog/introducing-nvfp4-for-efficient-and-accurate-low-precision-inference/).
#: Block scales of the fp8 checkpoints (one fp32 scale per 128 × 128 block in DeepSeek-V3) add 0.02% and are
#: left out.
BYTES_PER_ELEMENT: dict[str, float] = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 0.5,
                                       "mxfp4": 4.25 / 8, "nvfp4": 4.5 / 8}

#: Precisions a hardware row may quote dense FLOP/s for (columns ``dense_<precision>_TFLOPs``).
COMPUTE_PRECISIONS: tuple[str, ...] = ("bf16", "fp8", "fp4")

#: Storage formats a model's weights can be released in (``weights_format`` in models.csv).
WEIGHT_FORMATS: tuple[str, ...] = ("bf16", "fp16", "fp8", "fp4", "mxfp4", "nvfp4")

#: The tensor-core format that multiplies weights stored in each storage format, where the chip has it.
_NATIVE_COMPUTE: dict[str, str] = {"fp32": "bf16", "bf16": "bf16", "fp16": "bf16", "fp8": "fp8", "fp4": "fp4",
                                   "mxfp4": "fp4", "nvfp4": "fp4"}


def native_compute_format(storage: str) -> str:
    """The dense FLOP/s column that multiplies weights stored as ``storage`` (``mxfp4``, ``nvfp4`` → ``fp4``;
    fp16 counts as bf16, which every chip in the data runs at the same rate)."""
    bytes_per_element(storage)  # a clear error for an unknown name
    return _NATIVE_COMPUTE[storage]


def bytes_per_element(precision: str) -> float:
    """Bytes per element for a precision name such as ``"bf16"``; a clear error for an unknown name."""
    try:
        return BYTES_PER_ELEMENT[precision]
    except KeyError:
        raise ValueError(
            f"unknown precision {precision!r}; expected one of {', '.join(BYTES_PER_ELEMENT)}"
        ) from None


def si(value: float, unit: str, digits: int = 3) -> str:
    """Format ``value`` (in base SI units) with an SI prefix: ``si(0.0239, "s") == "23.9 ms"``.

    Used for display only; computations keep the base unit.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("cannot format a missing value")
    if value == 0:
        return f"0 {unit}"
    prefixes = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
                (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")]
    magnitude = abs(value)
    for factor, prefix in prefixes:
        if magnitude >= factor * 0.9995:
            break
    scaled = value / factor
    text = f"{scaled:.{digits}g}"
    if "e" in text:  # .g switched to exponent form: fall back to a fixed format
        text = f"{scaled:.0f}"
    return f"{text} {prefix}{unit}"


def ratio(value: float, digits: int = 2) -> str:
    """Format a dimensionless ratio as ``"2.5×"``."""
    return f"{value:.{digits}g}×"


def ratio_expr(expr: str, digits: int = 2) -> str:
    """The Vega expression writing the number ``expr`` as :func:`ratio` writes it (``digits`` significant figures,
    trailing zeros dropped, then "×"), for a chart's label computed in the browser: the chart and the prose then
    write one value one way (alike below 10^digits, where neither switches to exponent form)."""
    return f"format({expr}, '.{digits}~g') + '×'"


def count(value: float, digits: int = 3) -> str:
    """Format a large count with thousands separators after rounding to ``digits`` significant figures."""
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    if abs(rounded) >= 1:
        return f"{rounded:,.0f}"
    return f"{rounded:.{digits}g}"


_SUPERSCRIPT_DIGITS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(value: float, unit: str = "", digits: int = 3) -> str:
    """A number in scientific notation for people: ``sci(8.21e24, "FLOP") == "8.21 × 10²⁴ FLOP"`` (``digits``
    significant figures, trailing zeros dropped; a mantissa that rounds to 10 moves up a power:
    ``sci(9.9996e23) == "1 × 10²⁴"``), never Python's ``8.21e+24``."""
    if value is None or not math.isfinite(value):
        raise ValueError(f"cannot format {value!r} in scientific notation")
    if value == 0:
        return f"0 {unit}".strip()
    exponent = math.floor(math.log10(abs(value)))
    mantissa = float(f"{value / 10 ** exponent:.{digits}g}")
    if abs(mantissa) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits}g} × 10{str(exponent).translate(_SUPERSCRIPT_DIGITS)} {unit}".strip()


def number(value: float, digits: int = 3) -> str:
    """A plain number for a table cell with ``digits`` significant figures: thousands separators up to
    10¹⁵ (``5,354``, ``0.0123``), :func:`sci` beyond, never e-notation (``2.8e+02`` reads ``280``)."""
    if value is None or not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}")
    magnitude = abs(value)
    if magnitude >= 1e15 or (0 < magnitude < 1e-4):
        return sci(value, digits=digits)
    if magnitude >= 1:
        return count(value, digits)
    return f"{value:.{digits}g}"


def duration(seconds: float) -> str:
    """A duration for prose: ``"24 ms"``, ``"3.3 s"``, ``"18 min"``, ``"23 h"``, ``"4.3 days"``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format a duration of {seconds!r} s")
    for limit, unit, scale in ((1e-3, "µs", 1e-6), (1.0, "ms", 1e-3), (60.0, "s", 1.0), (3600.0, "min", 60.0),
                               (86400.0 * 2, "h", 3600.0)):
        if seconds < limit:
            return f"{seconds / scale:.2g} {unit}" if seconds / scale < 10 else f"{seconds / scale:.0f} {unit}"
    days = seconds / 86400.0
    return f"{days:.2g} days" if days < 10 else f"{days:,.0f} days"


def short(value: float, unit: str = "", digits: int = 3) -> str:
    """A large count on the short scale: ``short(1.5e14, "tokens") == "150T tokens"`` (k, M, B, T;
    quadrillions stay in T)."""
    if value is None or not math.isfinite(value):
        raise ValueError("cannot format a missing or infinite value")
    magnitude = abs(value)
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= factor * 0.9995:
            scaled = value / factor
            text = f"{scaled:,.0f}" if abs(scaled) >= 10 ** digits else f"{scaled:.{digits}g}"
            return f"{text}{suffix} {unit}".strip()
    return f"{value:.{digits}g} {unit}".strip()

