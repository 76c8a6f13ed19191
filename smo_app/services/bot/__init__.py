"""What the Telegram bot answers: one service per handler that does more than one step (/start,
a main-menu item), and the content they answer with (greeting, menu, product card) as plain data.

The sidecar's handlers (``bot_sidecar/handlers``) call these through the calling seam as the
sender (``out = await calls(service, …)``) and turn ``Content`` into Telegram messages. No aiogram
here. The package sits on top of ``customers``, ``staff`` and ``messaging``; nothing imports it
but the sidecar.
"""
