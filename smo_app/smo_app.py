"""The Reflex app: the /api mount and page registration — nothing else."""
import gc

# Importing the app creates some hundred thousand objects (models, states, pages) and none of them
# is garbage: the cyclic collector would run hundreds of times meanwhile for nothing (a sixth of
# the import). It is off until the app is built, and what the import made is then frozen out of
# its view (it lives as long as the process).
gc.disable()
try:
    import reflex as rx

    import smo_app.pages  # noqa: F401  (imports every page module, which records its page)
    from smo_app import composition, socket_reconnect
    from smo_app.api import create_api
    from smo_app.calling import default_seam
    from smo_app.components.registry import PAGES
    from smo_app.i18n import t
    from smo_app.services.core import shop_locale
    from smo_app.state import storefront_first_paint

    # The theme lives in rxconfig.py (RadixThemesPlugin): Reflex 0.10 deprecates rx.App(theme=...).
    composition.start()  # ports, event subscribers, task handlers
    composition.share_the_interpreter()  # the event loop gets the GIL back from service threads at once
    socket_reconnect.patch_reflex()  # a page whose websocket drops and comes back keeps its session
    # the API draws the Mini App's first screen in the page's state terms without importing a state

    def report_backend_error(exception: Exception):
        """An error in a page's event outside a service call (the seam reports those itself): logged and
        reported to the owner once per place an hour; the user sees the calm message, no traceback."""
        default_seam.report(exception, context="web page event")
        return rx.toast.error(t("common.unexpected_error", shop_locale.cached().language))

    app = rx.App(api_transformer=create_api(first_paint=storefront_first_paint),
                 backend_exception_handler=report_backend_error)
    for spec in PAGES:
        app.add_page(**spec)
finally:
    gc.freeze()
    gc.enable()
