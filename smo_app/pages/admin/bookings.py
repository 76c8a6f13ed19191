"""/admin/bookings — managers and up: the month by provider, a day's bookings, a booking for a
caller, the services editor, providers' hours and special days."""
import reflex as rx

from smo_app import routes
from smo_app.components.backoffice import admin_page
from smo_app.components.bookings_view import tabs
from smo_app.state.bookings_admin import BookingsAdminState


@admin_page(routes.BOOKINGS, perm="bookings.manage", title_key="ui.bookings.title", on_load=BookingsAdminState.load)
def bookings() -> rx.Component:
    return rx.vstack(tabs(), spacing="3", width="100%")
