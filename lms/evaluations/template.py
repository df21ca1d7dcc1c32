"""The standard bilingual forms the platform ships: the evaluation of a module and the
follow-up survey. Organisers apply them and then edit them like any form."""

from __future__ import annotations

from lms.evaluations.models import ItemKind


def _t(vi: str, en: str) -> dict:
    return {"vi": vi, "en": en}


AGREEMENT = [
    _t("Hoàn toàn không đồng ý", "Strongly disagree"),
    _t("Không đồng ý", "Disagree"),
    _t("Bình thường", "Neither agree nor disagree"),
    _t("Đồng ý", "Agree"),
    _t("Hoàn toàn đồng ý", "Strongly agree"),
]
TIME = [
    _t("Quá ngắn", "Far too short"),
    _t("Hơi ngắn", "A little short"),
    _t("Vừa đủ", "About right"),
    _t("Hơi dài", "A little long"),
    _t("Quá dài", "Far too long"),
]
LIKELIHOOD = [
    _t("Rất khó", "Very unlikely"),
    _t("Khó", "Unlikely"),
    _t("Có thể", "Possibly"),
    _t("Nhiều khả năng", "Likely"),
    _t("Chắc chắn", "Certainly"),
]

# (kind, text, options, required)
MODULE_ITEMS = [
    (ItemKind.RATING, _t("Nội dung học phần phù hợp với công việc của tôi.",
                         "The module's content is relevant to my work."), AGREEMENT, True),
    (ItemKind.RATING, _t("Giảng viên trình bày rõ ràng, dễ hiểu.",
                         "The trainers explained things clearly."), AGREEMENT, True),
    (ItemKind.RATING, _t("Tài liệu học tập có chất lượng tốt.",
                         "The materials were of good quality."), AGREEMENT, True),
    (ItemKind.RATING, _t("Công tác tổ chức và kỹ thuật (đường truyền, nền tảng trực tuyến) diễn ra tốt.",
                         "The organisation and the technology (connection, online platform) worked well."),
     AGREEMENT, True),
    (ItemKind.RATING, _t("Thời lượng của học phần:", "The time given to the module was:"), TIME, True),
    (ItemKind.RATING, _t("Tôi sẽ áp dụng những gì đã học vào công việc.",
                         "I will apply what I learned in my work."), LIKELIHOOD, True),
    (ItemKind.TEXT, _t("Chúng tôi nên cải thiện điều gì?", "What should we improve?"), [], False),
]  # fmt: skip

FOLLOW_UP_ITEMS = [
    (ItemKind.SINGLE, _t("Từ khi hoàn thành khóa học, anh/chị đã áp dụng những gì đã học vào công việc chưa?",
                         "Since completing the course, have you applied what you learned in your work?"),
     [_t("Có, nhiều lần", "Yes, several times"), _t("Có, một lần", "Yes, once"),
      _t("Chưa, nhưng tôi dự định sẽ áp dụng", "Not yet, but I plan to"), _t("Không", "No")], True),
    (ItemKind.MULTIPLE, _t("Anh/chị đã áp dụng những nội dung nào?", "What did you apply?"),
     [_t("Khái niệm và khung quốc tế về khu công nghiệp sinh thái",
         "Eco-industrial park concepts and the international framework"),
      _t("Khung pháp lý về khu công nghiệp sinh thái tại Việt Nam",
         "The legal framework for eco-industrial parks in Viet Nam"),
      _t("Quy hoạch và quản lý khu công nghiệp sinh thái", "Planning and managing an eco-industrial park"),
      _t("Hiệu quả tài nguyên và sản xuất sạch hơn", "Resource efficiency and cleaner production"),
      _t("Cộng sinh công nghiệp", "Industrial symbiosis"),
      _t("Tài chính và giám sát", "Financing and monitoring")], False),
    (ItemKind.RATING, _t("Khóa học đã giúp ích cho công việc của tôi.", "The course has helped me in my work."),
     AGREEMENT, True),
    (ItemKind.TEXT, _t("Anh/chị đã áp dụng như thế nào? Kết quả ra sao?",
                       "How did you apply it, and with what results?"), [], False),
]  # fmt: skip
