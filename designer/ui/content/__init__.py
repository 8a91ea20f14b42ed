"""The Content panel: the selected send's subject, preview text and template, previewed for a customer.

* :mod:`.panel` - the widget (fields, customer picker, widths, preview);
* :mod:`.highlighter` - HTML + jinja syntax colours for the template editor;
* :mod:`.completion` - token completion from the names the node will see;
* :mod:`.edits` - template edits as undo commands, saved beside the flow;
* :mod:`.render_job` - rendering in the thread pool, so typing never waits;
* :mod:`.moments` - which moment is previewed: "recipient from backtest", links from trace rows;
* :mod:`.page` - the preview page (inbox line, email at a width, SMS as a phone);
* :mod:`.dock` - putting the panel into the main window.
"""
