"""GET / (the install page) and GET /privacy: plain HTML from the guides and the settings.

The privacy page's figures are the settings the code runs with (retention days, talent-pool
months, the uninstall grace), so the page cannot drift from what the server does. The
language is the browser's (Accept-Language), nb or en.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.messages import spoken_language
from bot.settings import Settings
from conversation_guides import GuideBook

INSTALL_PATH = "/slack/install"
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d1d1d}a.install{display:inline-block;padding:.6rem 1.2rem;"
    "background:#4a154b;color:#fff;border-radius:.3rem;text-decoration:none;font-weight:600}"
    "nav{margin-top:2rem;font-size:.9rem}"
)


def language(accept: str | None, default: str) -> str:
    """nb or en: the first of the browser's languages (by q-value) that the coach speaks."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and tag.strip():
            ranked.append((-quality, index, tag.strip()))
    for _, _, tag in sorted(ranked):
        # Tags name a language as locales do: the one policy in bot.messages reads them.
        spoken = spoken_language(tag)
        if spoken is not None:
            return spoken
    return default


def document(lang: str, title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def page(lang: str, title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=document(lang, title, body),
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


def landing(settings: Settings, guides: GuideBook, lang: str) -> web.Response:
    def t(key: str) -> str:
        return escape(guides.text(lang, key))

    if settings.slack_oauth:
        install = (
            f'<p><a class="install" id="add-to-slack" href="{INSTALL_PATH}">'
            f"{t('site_add_to_slack')}</a></p><p>{t('site_install_hint')}</p>"
        )
    else:
        install = f"<p>{t('site_install_unavailable')}</p>"
    other = "en" if lang == "nb" else "nb"
    body = (
        f"<h1>{t('site_title')}</h1><p><strong>{t('site_tagline')}</strong></p>"
        f"<p>{t('site_intro')}</p>{install}"
        f'<nav><a id="privacy" href="/privacy">{t("site_privacy_link")}</a> · '
        f'<a href="/?lang={other}" hreflang="{other}">{t("site_language_other")}</a></nav>'
    )
    return page(lang, guides.text(lang, "site_title"), body)


def figure(name: str, value: int) -> str:
    """A setting's value, marked so a check (or a reader's tool) can find which it is."""
    return f'<span id="{name}" data-setting="{name}">{value}</span>'


def privacy(settings: Settings, guides: GuideBook, lang: str) -> web.Response:
    def t(key: str, **values: str) -> str:
        # Figures are markup, inserted after the text itself was escaped.
        text = escape(guides.text(lang, key, **{k: f"\0{k}\0" for k in values}))
        for name, value in values.items():
            text = text.replace(f"\0{name}\0", value)
        return text

    retention = figure("retention-days", settings.coach_retention_days)
    months = figure("talent-pool-months", settings.coach_talent_pool_months)
    grace = settings.coach_uninstall_grace_days
    uninstall = (
        t("privacy_uninstall", days=figure("uninstall-grace-days", grace))
        if grace
        else t("privacy_uninstall_now")
    )
    body = (
        f"<h1>{t('privacy_title')}</h1><p>{t('privacy_intro')}</p>"
        f"<h2>{t('privacy_stored_heading')}</h2><ul>"
        f"<li>{t('privacy_stored_candidates')}</li><li>{t('privacy_stored_recruiters')}</li>"
        f"<li>{t('privacy_stored_tokens')}</li></ul>"
        f"<h2>{t('privacy_retention_heading')}</h2>"
        f"<p>{t('privacy_retention', days=retention)}</p>"
        f"<p>{t('privacy_talent_pool', months=months)}</p><p>{uninstall}</p>"
        f"<h2>{t('privacy_who_heading')}</h2>"
        f"<p>{t('privacy_who_recruiter')}</p><p>{t('privacy_who_admins')}</p>"
        f'<nav><a href="/">{t("privacy_back")}</a></nav>'
    )
    return page(lang, guides.text(lang, "privacy_title"), body)


def chosen_language(request: web.Request, settings: Settings) -> str:
    """?lang=nb|en (the page's own language link) first, then the browser's languages."""
    asked = request.query.get("lang")
    if asked in ("nb", "en"):
        return asked
    return language(request.headers.get("Accept-Language"), settings.coach_language)


def mount(app: web.Application, settings: Settings, guides: GuideBook) -> None:
    async def get_landing(request: web.Request) -> web.Response:
        return landing(settings, guides, chosen_language(request, settings))

    async def get_privacy(request: web.Request) -> web.Response:
        return privacy(settings, guides, chosen_language(request, settings))

    app.router.add_get("/", get_landing)
    app.router.add_get("/privacy", get_privacy)
