"""The lived-in demo's evaluations: most learners of the past edition who attended a
module answered its evaluation (ratings leaning to the good side, some comments in
Vietnamese), through the evaluations' own service, so the answers are as anonymous as
real ones and the Results page has something to show.

Registered in ``lms.demo_learners.PAST_EDITION_EXTRAS`` by ``lms.demo``; deterministic
from its generator and idempotent (a learner who answered a form is skipped).
"""

from __future__ import annotations

import random
from datetime import timedelta

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.errors import ServiceError
from lms.evaluations.answering import has_answered, is_open_for, submit_evaluation
from lms.evaluations.forms_setup import forms_of
from lms.evaluations.models import FormKind, ItemKind

ANSWER_SHARE = 0.7  # of those who could answer a module's evaluation
COMMENT_SHARE = 0.3
COMMENTS = (
    "Nên có thêm ví dụ thực tế từ các khu công nghiệp ở Việt Nam.",
    "Thời lượng hơi ngắn, mong có thêm thời gian thảo luận nhóm.",
    "Tài liệu song ngữ rất hữu ích cho công việc của tôi.",
    "Đường truyền đôi lúc bị gián đoạn, nên gửi trước bản ghi hình.",
    "Mong có thêm bài tập tình huống về cộng sinh công nghiệp.",
    "Giảng viên trình bày rõ ràng, nhưng phần hỏi đáp còn ít.",
    "Nên chia sẻ danh sách doanh nghiệp đã áp dụng sản xuất sạch hơn.",
    "Cần hướng dẫn cụ thể hơn về thủ tục pháp lý theo Nghị định 35/2022.",
)


def answer_evaluations(course: Course, learners: list[User], rng: random.Random) -> str:
    """Answers to the module evaluations of ``course``; how many were added."""
    added = 0
    for form in forms_of(course):
        if form.kind != FormKind.MODULE or form.closes_at is None:
            continue
        moment = form.closes_at - timedelta(days=1)  # inside the form's window
        for learner in learners:
            draw = rng.random()  # drawn for everyone, so skipping one changes no one else's
            answers = _answers(form, rng)
            if draw >= ANSWER_SHARE or not is_open_for(learner, form, moment) or has_answered(learner, form):
                continue
            try:
                submit_evaluation(learner, form, answers, moment)
            except ServiceError:
                continue
            added += 1
    return f"{added} evaluations answered"


def _answers(form, rng: random.Random) -> dict[int, object]:
    answers: dict[int, object] = {}
    for item in form.items:
        if item.kind == ItemKind.RATING:
            answers[item.id] = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 8, 20, 14))[0]
        elif item.kind == ItemKind.SINGLE and item.options:
            answers[item.id] = rng.randrange(len(item.options))
        elif item.kind == ItemKind.MULTIPLE and item.options:
            answers[item.id] = sorted(
                rng.sample(range(len(item.options)), k=rng.randint(1, len(item.options)))
            )
        elif item.kind == ItemKind.TEXT and rng.random() < COMMENT_SHARE:
            answers[item.id] = rng.choice(COMMENTS)
    return answers
