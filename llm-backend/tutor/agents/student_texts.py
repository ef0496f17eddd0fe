"""Messages the tutor writes itself, without a model, in each text language the profile
offers (`en`, `hi`, `hinglish`), so a student who chose Hindi is not answered in English when
no model is involved."""

from __future__ import annotations

from tutor.models.state import StudentProfile

SAFETY_REDIRECT = {
    "en": (
        "I can't help with that here{who}. If something is worrying you, please talk to a "
        "parent, teacher or another adult you trust. Shall we get back to our lesson?"
    ),
    "hi": (
        "मैं यहाँ इसमें मदद नहीं कर सकता{who}। अगर कोई बात तुम्हें परेशान कर रही है, तो अपने "
        "माता-पिता, टीचर या किसी ऐसे बड़े से बात करो जिस पर तुम भरोसा करते हो। क्या हम अपने "
        "पाठ पर वापस चलें?"
    ),
    "hinglish": (
        "Main yahan is mein help nahi kar sakta{who}. Agar koi baat tumhe pareshan kar rahi "
        "hai, toh apne parents, teacher ya kisi aise bade se baat karo jis par tum bharosa "
        "karte ho. Chalo, wapas apne lesson par chalein?"
    ),
}
CLARIFY_CLOSE = {
    "en": "Thanks for your questions{who}!{recap} Come back any time you're curious.",
    "hi": "सवाल पूछने के लिए धन्यवाद{who}!{recap} जब भी कुछ जानना हो, फिर आना।",
    "hinglish": "Questions poochhne ke liye thanks{who}!{recap} Jab bhi kuch jaanna ho, phir aana.",
}
CLARIFY_RECAP = {
    "en": " We talked about {topics}.",
    "hi": " हमने {topics} के बारे में बात की।",
    "hinglish": " Humne {topics} ke baare mein baat ki.",
}


def _who(student: StudentProfile) -> str:
    return f", {student.addressed_as}" if student.addressed_as else ""


def safety_redirect(student: StudentProfile) -> str:
    return SAFETY_REDIRECT[student.text_language].format(who=_who(student))


def clarify_close(student: StudentProfile, topics: list[str]) -> str:
    language = student.text_language
    recap = CLARIFY_RECAP[language].format(topics=", ".join(topics)) if topics else ""
    return CLARIFY_CLOSE[language].format(who=_who(student), recap=recap)


# After a session ends the frontend hides the input, so these only answer a stray message;
# they are written here (no model call, nothing stored) so a finished session costs nothing.
EXAM_ALREADY_COMPLETE = {
    "en": "The exam is already complete. Check your results!",
    "hi": "परीक्षा पूरी हो चुकी है। अपने नतीजे देखो!",
    "hinglish": "Exam already complete ho chuka hai. Apne results check karo!",
}
SESSION_FINISHED = {
    "en": (
        "This session is complete{who}. Start a new session to keep learning, or take an "
        "exam to test yourself."
    ),
    "hi": "यह सत्र पूरा हो गया है{who}। आगे सीखने के लिए नया सत्र शुरू करो, या परीक्षा दो।",
    "hinglish": (
        "Yeh session complete ho gaya hai{who}. Aage seekhne ke liye naya session shuru karo, "
        "ya exam dekar khud ko test karo."
    ),
}


def exam_already_complete(student: StudentProfile) -> str:
    return EXAM_ALREADY_COMPLETE[student.text_language]


def session_finished(student: StudentProfile) -> str:
    return SESSION_FINISHED[student.text_language].format(who=_who(student))
