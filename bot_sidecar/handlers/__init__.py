"""One Router per feature; included in this order by dispatcher.create_dispatcher."""
