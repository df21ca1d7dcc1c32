"""Page weight: each main page, with the CSS it links, stays under 150 KB and needs no
JavaScript (the quiz page's autosave script is the one script the platform has).

Measured on the demo data (the real 2023 course and its open demo edition) with a
learner who holds a seat in every module and a certificate, in both languages.
Run with ``-s`` to see the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalogue.models import Course, Module
from lms.certificates.services import display_code, new_code
from lms.db import utcnow
from lms.demo import load_demo
from lms.enrollment import services as enrollment
from lms.quizzes.models import Quiz, QuizPurpose
from lms.quizzes.services import start_attempt
from tests.factories import PASSWORD, CertificateFactory, ConsentFactory

LIMIT = 150 * 1024
AUTOSAVE_SCRIPT = "/static/js/quiz-autosave.js"


class Resources(HTMLParser):
    """What a page makes the browser load or run: stylesheets and scripts of any kind."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.stylesheets.append(values["href"])
        if tag == "script":
            self.scripts.append(values.get("src") or "inline script")
        preloads_script = values.get("as") == "script" or "modulepreload" in values.get("rel", "").split()
        if tag == "link" and preloads_script:
            self.scripts.append(values.get("href", ""))
        for name, value in values.items():
            if name.startswith("on"):
                self.scripts.append(f"{tag} {name}= handler")
            if value.strip().lower().startswith("javascript:"):
                self.scripts.append(f"{tag} {name}=javascript: URL")


@dataclass
class Weight:
    path: str
    html: int
    css: int
    scripts: list[str] = field(default_factory=list)
    text: str = field(default="", repr=False)

    @property
    def total(self) -> int:
        return self.html + self.css


def weigh(client, path: str) -> Weight:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
    resources = Resources()
    resources.feed(response.get_data(as_text=True))
    css = 0
    for href in resources.stylesheets:
        stylesheet = client.get(href)
        assert stylesheet.status_code == 200, f"{path} links {href}, which answers {stylesheet.status_code}"
        css += len(stylesheet.get_data())
        stylesheet.close()
    return Weight(path, len(response.get_data()), css, resources.scripts, response.get_data(as_text=True))


@dataclass
class Demo:
    learner: str
    module_path: str
    certificate_code: str
    attempt_path: str


@pytest.fixture
def demo(app, db) -> Demo:
    """The demo data, and a learner as full as "My schedule" gets: a seat in every module
    of the open edition and a certificate of the 2023 one."""
    load_demo()
    courses = {course.slug: course for course in db.session.scalars(select(Course))}
    learner = create_user(
        "tran.thi.mai@example.org", "Trần Thị Mai", password=PASSWORD, locale="vi",
        organisation="Ban quản lý các khu công nghiệp Đà Nẵng", province="da-nang",
    )  # fmt: skip
    ConsentFactory(user=learner)  # the demo publishes a privacy notice: accepted at sign-up
    demo_course = courses["eip-demo"]
    picks = {module.id: enrollment.Pick(module.runs[0].id) for module in demo_course.modules}
    enrollment.register(learner, demo_course, picks, accepted_privacy=True)
    certificate = CertificateFactory(code=new_code(), user=learner, course_id=courses["eip-2023"].id)
    module = db.session.scalar(select(Module).where(Module.course_id == demo_course.id, Module.position == 1))
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.module_id == module.id, Quiz.purpose == QuizPurpose.MODULE)
    )
    quiz.opens_at = utcnow() - timedelta(hours=1)  # opened early by the trainer
    attempt = start_attempt(quiz, learner)
    db.session.commit()
    return Demo(
        learner=learner.email,
        module_path=f"/courses/eip-demo/modules/{module.key}",
        certificate_code=display_code(certificate.code),
        attempt_path=f"/attempts/{attempt.id}",
    )


def report(weights: list[Weight]) -> None:
    for weight in weights:
        print(
            f"{weight.path:45} HTML {weight.html / 1024:6.1f} KB + CSS {weight.css / 1024:5.1f} KB "
            f"= {weight.total / 1024:6.1f} KB, scripts: {weight.scripts or 'none'}"
        )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_main_pages_weigh_under_150_kb_with_their_css_and_load_no_script(client, db, demo, language):
    guest_pages = [
        "/",
        "/courses/eip-demo",
        demo.module_path,
        f"/verify/{demo.certificate_code}",
        "/account/login",
    ]
    weights = [weigh(client, f"{path}?lang={language}") for path in guest_pages]
    client.sign_in(demo.learner)
    learner_pages = ["/my/schedule", "/account/profile", "/courses/eip-demo", demo.module_path]
    weights += [weigh(client, f"{path}?lang={language}") for path in learner_pages]
    # The registration form as a newcomer sees it (the learner above has registered).
    client.post("/account/logout", data={"csrf_token": client.csrf_token("/account/profile")})
    ConsentFactory(
        user=create_user("le.van.nam@example.org", "Lê Văn Nam", password=PASSWORD, locale=language)
    )
    db.session.commit()
    client.sign_in("le.van.nam@example.org")
    weights.append(weigh(client, f"/courses/eip-demo/register?lang={language}"))
    report(weights)

    assert len(weights) == 10
    # The pages weighed are the full ones: the learner's schedule lists six sessions and
    # the certificate, the verify page names its holder, the form offers every run.
    pages = {weight.path.split("?")[0]: weight.text for weight in weights}
    assert demo.certificate_code in pages["/my/schedule"] and pages["/my/schedule"].count("<time") >= 6
    assert "Trần Thị Mai" in pages[f"/verify/{demo.certificate_code}"]
    assert pages["/courses/eip-demo/register"].count('type="radio"') == 12
    assert all(weight.css > 0 for weight in weights), "every page links its stylesheet"
    assert [weight.path for weight in weights if weight.total >= LIMIT] == []
    assert [(weight.path, weight.scripts) for weight in weights if weight.scripts] == []


def test_the_quiz_page_loads_only_the_autosave_script(client, demo):
    client.sign_in(demo.learner)
    weight = weigh(client, demo.attempt_path)
    report([weight])
    # addressed by its content (lms.caching.static): the path, then ?v=<hash>
    assert [script.split("?v=")[0] for script in weight.scripts] == [AUTOSAVE_SCRIPT]
    assert weight.total < LIMIT


def test_the_weighing_sees_every_kind_of_script():
    resources = Resources()
    resources.feed(
        '<link rel="stylesheet" href="/a.css"><script src="/x.js"></script><script>alert(1)</script>'
        '<button onclick="go()">Go</button><a href="javascript:void(0)">x</a>'
        '<link rel="modulepreload" href="/m.js"><link rel="preload" as="script" href="/p.js">'
    )
    assert resources.stylesheets == ["/a.css"]
    assert resources.scripts == [
        "/x.js", "inline script", "button onclick= handler", "a href=javascript: URL", "/m.js", "/p.js",
    ]  # fmt: skip
