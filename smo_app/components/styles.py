"""Design tokens shared by the three shells."""

ACCENT = "teal"
SIDEBAR_WIDTH = "15rem"
PAGE_MAX_WIDTH = "72rem"
POS_MIN_WIDTH = "1024px"
STOREFRONT_MAX_WIDTH = "480px"
PIN_BUTTON_SIZE = "5.5rem"

# The Mini App follows Telegram's theme when Telegram sets these variables; a plain browser
# gets the fallbacks.
TG_BG = "var(--tg-theme-bg-color, #ffffff)"
TG_TEXT = "var(--tg-theme-text-color, #1a1a1a)"
TG_HINT = "var(--tg-theme-hint-color, #8a8a8a)"
TG_BUTTON = "var(--tg-theme-button-color, #12a594)"
TG_BUTTON_TEXT = "var(--tg-theme-button-text-color, #ffffff)"
TG_SECONDARY_BG = "var(--tg-theme-secondary-bg-color, #f2f4f5)"

panel = {"padding": "1.25rem", "border_radius": "12px", "border": "1px solid var(--gray-a5)", "background": "var(--color-panel-solid)"}
