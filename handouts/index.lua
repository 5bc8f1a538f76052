--[[
index.lua - a pandoc filter that lists the lessons, in order, on the
handouts' index page: each with its title and subtitle as c-source.lua
reads them from the program, so the list cannot drift from the lessons.

Metadata: lessons, given once per lesson with -M, in order, as
"NN-name:path/to/program.c".
]]

-- The reader's Reader(), loaded from beside this file.
local dir = PANDOC_SCRIPT_FILE:match("^(.*)/") or "."
dofile(dir .. "/c-source.lua")

function Pandoc(doc)
  local lessons = doc.meta.lessons
  if pandoc.utils.type(lessons) ~= "List" then
    lessons = { lessons }
  end
  local items = {}
  for _, entry in ipairs(lessons) do
    local name, path = pandoc.utils.stringify(entry):match("^([^:]+):(.+)$")
    local f = assert(io.open(path, "rb"))
    local page = Reader(f:read("a"))
    f:close()
    local title = { pandoc.Link(pandoc.utils.stringify(page.meta.title),
      name .. ".html"), pandoc.Str(":"), pandoc.Space() }
    for _, i in ipairs(page.meta.subtitle or {}) do
      title[#title + 1] = i
    end
    title[#title + 1] = pandoc.Space()
    title[#title + 1] = pandoc.Str("(")
    title[#title + 1] = pandoc.Link("PDF", name .. ".pdf")
    title[#title + 1] = pandoc.Str(")")
    items[#items + 1] = { pandoc.Plain({ pandoc.Strong(pandoc.Str(
      "Lesson " .. name:match("^%d+"))), pandoc.Space(),
      table.unpack(title) }) }
  end
  local out = {}
  for _, b in ipairs(doc.blocks) do
    if b.t == "Div" and b.identifier == "lessons" then
      out[#out + 1] = pandoc.BulletList(items)
    else
      out[#out + 1] = b
    end
  end
  return pandoc.Pandoc(out, doc.meta)
end
