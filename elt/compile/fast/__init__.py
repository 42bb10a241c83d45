"""The shortcuts of a cold compile, each falling back to the plain way for anything it does not handle
(same results, same errors): plain templates read and evaluated without Jinja's parser and code
generation (plain_templates; the plain way is `templating.Renderer.render`), renders taken from the
compile cache (render_cache), worker processes (processes; the plain way is the serial loop in the
compiler), `elt compile` skipped when nothing changed (stamp), the garbage collector kept off the
compiled project (heap). The yml shortcut is with the file readers: `elt.project.fast_yaml`."""
