"""Account lifecycle above the apps: block, termination and destruction of personal data.

The only module that imports every app (import-linter keeps it so, .importlinter). Each app
changes only its own tables, through its own `…_for_client_stop` / `…_personal_data_destroy`
services; `lifecycle.services` calls them in order, in one transaction where they must agree.
"""
