"""Message content: templates, the context a message sees, rendering in jinja2's sandbox, content lint.

Sits between the engine and the publishers (``model <- store <- engine <- content``):
it reads the store and the engine's facts, and nothing below imports it. No Qt.

* :mod:`.sandbox` - the jinja2 environments (sandboxed, autoescaped for HTML), limits, problems;
* :mod:`.filters` - money, dates in the customer's zone, pluralisation;
* :mod:`.templates` - template files (a header of defaults, HTML with jinja tokens), where they are found;
* :mod:`.inline` - CSS inlining of a template's source at load time;
* :mod:`.context` - the names a message sees (profile, facts, event, cart, links);
* :mod:`.moment` - that context read from the store for one customer at one moment;
* :mod:`.message` - a send node's message rendered (subject, preview, HTML, text, SMS, webhook), and as .eml;
* :mod:`.lint` - content problems for ``validate`` and the Problems dock.
"""
