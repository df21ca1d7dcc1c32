"""How fast certificates of completion render, and how big they are.

Renders --count certificates with varied Vietnamese names and prints certificates per second,
the same library's baseline (a minimal one-page A4 PDF with one line of text and the same fonts
registered, measured in the same run), the ratio of the two, and the average PDF size.

    .venv/bin/python benchmarks/certificates.py [--count 1000] [--workers 2] [--library reportlab]

--library fpdf2 / weasyprint re-run the comparison that chose ReportLab; those libraries are not
project dependencies, so install them first (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms.certificates.pdf import CertificateContent

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FAMILY_NAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Tôn Nữ",
]
MIDDLE_NAMES = [
    "Thị",
    "Văn",
    "Hữu",
    "Minh",
    "Ngọc",
    "Thanh",
    "Quốc",
    "Đức",
    "Thu",
    "Kim",
    "Xuân",
    "Thùy",
    "Bảo",
    "Gia",
    "Khánh",
    "Phương",
]
GIVEN_NAMES = [
    "Hương",
    "Bảo",
    "Anh",
    "Dũng",
    "Hạnh",
    "Lộc",
    "Phương",
    "Thảo",
    "Tuấn",
    "Trí",
    "Ánh",
    "Nhung",
    "Khoa",
    "Quyên",
    "Yến",
    "Hải",
    "Giang",
    "Nghĩa",
    "Hưng",
    "Trường",
    "Oanh",
    "Ngọc",
    "Uyên",
    "Việt",
    "Hiếu",
    "Tâm",
    "Duyên",
    "Khải",
    "Lâm",
    "Nguyệt",
]
COURSE_TITLE = {
    "vi": "Khóa đào tạo trực tuyến về khu công nghiệp sinh thái 2023",
    "en": "Online training course on eco-industrial parks 2023",
}
ISSUERS = (
    {"vi": "Bộ Kế hoạch và Đầu tư", "en": "Ministry of Planning and Investment"},
    {
        "vi": "Tổ chức Phát triển Công nghiệp Liên Hợp Quốc (UNIDO)",
        "en": "United Nations Industrial Development Organization (UNIDO)",
    },
)


def vietnamese_name(rng: random.Random) -> str:
    """A family name, one to four middle names (long names too), a given name; at most 60 characters."""
    middles = rng.choices(MIDDLE_NAMES, k=rng.choice((1, 1, 1, 2, 2, 3, 4)))
    return " ".join([rng.choice(FAMILY_NAMES), *middles, rng.choice(GIVEN_NAMES)])[:60].strip()


def display_code(rng: random.Random) -> str:
    """140 random bits as 28 Crockford base-32 characters in seven groups of four."""
    number = rng.getrandbits(140)
    characters = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(28))
    return "-".join(characters[i : i + 4] for i in range(0, 28, 4))


def certificates(count: int, seed: int = 2023) -> list[CertificateContent]:
    rng = random.Random(seed)
    contents = []
    for _ in range(count):
        code = display_code(rng)
        contents.append(
            CertificateContent(
                learner_name=vietnamese_name(rng),
                course_title=COURSE_TITLE,
                starts_on=date(2023, 10, 2),
                ends_on=date(2023, 12, 14),
                hours=12,
                issuers=ISSUERS,
                issued_on=date(2023, 12, 20),
                code=code,
                verify_url=f"https://eip-training.example.org/verify/{code}",
            )
        )
    return contents


# ---------------------------------------------------------------------------------------------
# Libraries: each gives (render a certificate, render the baseline), fonts registered once


Renderers = tuple[Callable[[CertificateContent], bytes], Callable[[], bytes]]


def reportlab_renderers() -> Renderers:
    import io

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    from lms.certificates.pdf import render_certificate
    from lms.certificates.typesetting import REGULAR, register_fonts

    register_fonts()

    def baseline() -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=landscape(A4), pageCompression=1, invariant=1)
        canvas.setFont(REGULAR, 12)
        canvas.drawString(72, 500, "Giấy chứng nhận hoàn thành – Certificate of completion")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    return render_certificate, baseline


def alternative_renderers(library: str) -> Renderers:
    import certificate_alternatives

    return certificate_alternatives.RENDERERS[library]()


LIBRARIES = {
    "reportlab": reportlab_renderers,
    "fpdf2": lambda: alternative_renderers("fpdf2"),
    "weasyprint": lambda: alternative_renderers("weasyprint"),
}

# ---------------------------------------------------------------------------------------------
# Timing

_worker_renderers: Renderers | None = None


def _start_worker(library: str) -> None:
    global _worker_renderers
    _worker_renderers = LIBRARIES[library]()


def _render_batch(batch: Sequence[CertificateContent]) -> list[int]:
    assert _worker_renderers is not None
    return [len(_worker_renderers[0](content)) for content in batch]


def _render_baselines(count: int) -> list[int]:
    assert _worker_renderers is not None
    return [len(_worker_renderers[1]()) for _ in range(count)]


@dataclass
class Measure:
    seconds: float
    sizes: list[int]

    @property
    def per_second(self) -> float:
        return len(self.sizes) / self.seconds


def measure(library: str, contents: Sequence[CertificateContent], workers: int) -> tuple[Measure, Measure]:
    """(certificates, baselines), both timed after the fonts are registered and one warm-up render."""
    if workers == 1:
        _start_worker(library)
        _render_batch(contents[:1])
        _render_baselines(1)
        return _timed(lambda: _render_batch(contents)), _timed(lambda: _render_baselines(len(contents)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(library,)) as pool:
        list(pool.map(_render_batch, [contents[:1]] * workers))  # every worker up and warm
        batches = [contents[i::workers] for i in range(workers)]
        counts = [len(batch) for batch in batches]
        certificates_measure = _timed(lambda: _flatten(pool.map(_render_batch, batches)))
        baseline_measure = _timed(lambda: _flatten(pool.map(_render_baselines, counts)))
    return certificates_measure, baseline_measure


def _flatten(lists) -> list[int]:
    return [item for sublist in lists for item in sublist]


def _timed(run: Callable[[], list[int]]) -> Measure:
    start = time.perf_counter()
    sizes = run()
    return Measure(time.perf_counter() - start, sizes)


def write_samples(folder: Path, libraries: Sequence[str], contents: Sequence[CertificateContent]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for library in libraries:
        render, _ = LIBRARIES[library]()
        for number, content in enumerate(contents, start=1):
            (folder / f"{library}-{number}.pdf").write_bytes(render(content))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates to render (default 1000)")
    parser.add_argument("--workers", type=int, default=1, help="processes rendering in parallel (default 1)")
    parser.add_argument(
        "--library",
        choices=sorted(LIBRARIES),
        action="append",
        help="PDF library; repeat to compare (default: reportlab, the one the app uses)",
    )
    parser.add_argument("--samples", type=Path, help="also write the first three certificates to this folder")
    args = parser.parse_args(argv)
    contents = certificates(args.count)
    libraries = args.library or ["reportlab"]
    if args.samples:
        write_samples(args.samples, libraries, contents[:3])

    header = (
        f"{'library':<11} {'workers':>7} {'certs':>6} {'seconds':>8} {'certs/s':>8} "
        f"{'baseline/s':>10} {'cert/baseline':>13} {'avg KiB':>8}"
    )
    print(header)
    print("-" * len(header))
    for library in libraries:
        certs, baseline = measure(library, contents, args.workers)
        ratio = (certs.seconds / len(certs.sizes)) / (baseline.seconds / len(baseline.sizes))
        print(
            f"{library:<11} {args.workers:>7} {len(certs.sizes):>6} {certs.seconds:>8.2f} "
            f"{certs.per_second:>8.1f} {baseline.per_second:>10.1f} {ratio:>12.1f}x "
            f"{statistics.mean(certs.sizes) / 1024:>8.1f}"
        )
    print("cert/baseline: time for one certificate over time for the minimal one-line PDF")


if __name__ == "__main__":
    main()
