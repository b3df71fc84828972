from django.utils.translation import get_language


def spanish() -> bool:
    """The page is being read in Spanish: staff give Spanish wording beside the English."""
    return (get_language() or "en").startswith("es")
