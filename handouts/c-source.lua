--[[
c-source.lua - a pandoc reader for an annotated C program: its comments
become the prose, the code between them the code, in reading order, as on
an annotated-source page (docco, Pycco).

    pandoc -f handouts/c-source.lua lessons/01-bare-server/bare-server.c

A comment that stands on lines of its own is prose; one that ends a line of
code stays in the code, where it explains that line.  The document is a
list of steps, each a Div of class "step" holding a Div "prose" (the
comments, perhaps none) and a CodeBlock "c" (the code that follows them,
perhaps none).  The first paragraph of the file's first comment,
"name - what it is", gives the title and subtitle.

Comment text is not Markdown (a C comment may say "*p" or "a_b"), so it is
read as plain text: paragraphs split at blank lines, and a paragraph
indented deeper than the comment (a usage line, a command to try) kept as
it is, in a block of its own.  Words such as "bind()" are shown as code.
]]

-- Split text into lines, keeping empty ones; no final empty line.
local function lines_of(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    lines[#lines + 1] = line
  end
  if lines[#lines] == "" then
    lines[#lines] = nil
  end
  return lines
end

--[[
Find every comment, skipping string and character literals, where "/*"
is not a comment: returns a list of {from, to, block}, byte positions of
its first and last characters.
]]
local function find_comments(src)
  local comments = {}
  local i, n = 1, #src
  while i <= n do
    local c, c2 = src:sub(i, i), src:sub(i, i + 1)
    if c2 == "/*" then
      local close = src:find("*/", i + 2, true)
      if not close then
        error("c-source: a comment that never ends, at byte " .. i)
      end
      comments[#comments + 1] = { from = i, to = close + 1, block = true }
      i = close + 2
    elseif c2 == "//" then
      local eol = src:find("\n", i, true) or (n + 1)
      local prev = comments[#comments]
      -- "//" lines one under the other are one comment, as a block is.
      if prev and not prev.block and
          src:sub(prev.to + 1, i - 1):match("^\n[ \t]*$") then
        prev.to = eol - 1
      else
        comments[#comments + 1] = { from = i, to = eol - 1, block = false }
      end
      i = eol
    elseif c == '"' or c == "'" then
      -- A literal ends at the next unescaped quote of its kind.
      local j = i + 1
      while j <= n and src:sub(j, j) ~= c do
        if src:sub(j, j) == "\\" then
          j = j + 1
        end
        j = j + 1
      end
      i = j + 1
    else
      i = i + 1
    end
  end
  return comments
end

-- The text of a comment without its markers, its "*" margin and indent.
local function comment_text(body, block)
  local lines = lines_of(body)
  local out = {}
  for k, line in ipairs(lines) do
    if block then
      if k == 1 then
        line = line:gsub("^%s*/%*+", "")
      end
      if k == #lines then
        line = line:gsub("%*+/%s*$", "")
      end
      if k > 1 then
        line = line:gsub("^%s*%*", "", 1)
      end
    else
      line = line:gsub("^%s*//", "")
    end
    out[#out + 1] = line
  end
  -- Strip the margin common to all non-blank lines (one space, mostly).
  local margin
  for _, line in ipairs(out) do
    if line:match("%S") then
      local lead = #line:match("^ *")
      margin = margin and math.min(margin, lead) or lead
    end
  end
  margin = margin or 0
  for k, line in ipairs(out) do
    out[k] = line:sub(margin + 1):gsub("%s+$", "")
  end
  -- Drop blank first and last lines (the "/*" and " */" lines).
  while #out > 0 and out[1] == "" do
    table.remove(out, 1)
  end
  while #out > 0 and out[#out] == "" do
    table.remove(out)
  end
  return out
end

-- Words of prose as inlines; "bind()" and "NET_READY" style words as code.
local function inlines_of(text)
  local inl = {}
  for word in text:gmatch("%S+") do
    if #inl > 0 then
      inl[#inl + 1] = pandoc.Space()
    end
    local lead, core, trail = word:match("^([\"(]*)(.-)([\"),.;:]*)$")
    if core:match("^[%a_][%w_]*%(%)$") or core:match("^[%a_][%w_]*%(%d%)$")
        or core:match("^[A-Z][A-Z0-9]*_[A-Z0-9_]+$") then
      if lead ~= "" then
        inl[#inl + 1] = pandoc.Str(lead)
      end
      inl[#inl + 1] = pandoc.Code(core)
      if trail ~= "" then
        inl[#inl + 1] = pandoc.Str(trail)
      end
    else
      inl[#inl + 1] = pandoc.Str(word)
    end
  end
  return inl
end

-- A comment's lines as blocks: paragraphs, and indented lines kept as is.
local function prose_blocks(lines)
  local blocks = {}
  local para, literal = {}, {}
  local function flush()
    if #para > 0 then
      blocks[#blocks + 1] = pandoc.Para(inlines_of(table.concat(para, " ")))
      para = {}
    end
    if #literal > 0 then
      -- The deepest common indent goes; the rest is the text's own.
      local cut
      for _, l in ipairs(literal) do
        local lead = #l:match("^ *")
        cut = cut and math.min(cut, lead) or lead
      end
      for k, l in ipairs(literal) do
        literal[k] = l:sub(cut + 1)
      end
      blocks[#blocks + 1] = pandoc.CodeBlock(table.concat(literal, "\n"),
        pandoc.Attr("", { "literal" }))
      literal = {}
    end
  end
  for _, line in ipairs(lines) do
    if line == "" then
      flush()
    elseif line:match("^  ") or line:match("^\t") then
      if #para > 0 then
        flush()
      end
      literal[#literal + 1] = line
    else
      if #literal > 0 then
        flush()
      end
      para[#para + 1] = line
    end
  end
  flush()
  return blocks
end

function Reader(input)
  local src = tostring(input)
  local comments = find_comments(src)
  -- Each line: which comment, if any, it belongs to wholly.
  local line_start = { 1 }
  for pos in src:gmatch("()\n") do
    line_start[#line_start + 1] = pos + 1
  end
  local function line_at(pos)
    local lo, hi = 1, #line_start
    while lo < hi do
      local mid = (lo + hi + 1) // 2
      if line_start[mid] <= pos then
        lo = mid
      else
        hi = mid - 1
      end
    end
    return lo
  end
  local lines = lines_of(src)
  local prose_of = {} -- line number -> comment, for comments on own lines
  local first_of = {} -- line number -> comment that starts there
  for _, c in ipairs(comments) do
    local a, b = line_at(c.from), line_at(c.to)
    local before = src:sub(line_start[a], c.from - 1)
    local after = src:sub(c.to + 1, (line_start[b + 1] or (#src + 2)) - 2)
    if not before:match("%S") and not after:match("%S") then
      for l = a, b do
        prose_of[l] = c
      end
      first_of[a] = c
    end
  end

  local sections = {}
  local prose, code = {}, {}
  local title
  local function flush()
    while #code > 0 and not code[1]:match("%S") do
      table.remove(code, 1)
    end
    while #code > 0 and not code[#code]:match("%S") do
      table.remove(code)
    end
    if #prose == 0 and #code == 0 then
      return
    end
    local content = { pandoc.Div(prose, pandoc.Attr("", { "prose" })) }
    if #code > 0 then
      content[2] = pandoc.CodeBlock(table.concat(code, "\n"),
        pandoc.Attr("", { "c" }))
    end
    sections[#sections + 1] = pandoc.Div(content,
      pandoc.Attr("", { "step" }))
    prose, code = {}, {}
  end
  for l = 1, #lines do
    local c = first_of[l]
    if c then
      -- Prose after code starts a new section.
      if #code > 0 and table.concat(code):match("%S") then
        flush()
      end
      local text = comment_text(src:sub(c.from, c.to), c.block)
      if not title and #text > 0 then
        -- The first paragraph, "name - what it is", heads the page.
        local para = {}
        while #text > 0 and text[1] ~= "" do
          para[#para + 1] = table.remove(text, 1)
        end
        title = table.concat(para, " ")
      end
      for _, b in ipairs(prose_blocks(text)) do
        prose[#prose + 1] = b
      end
    elseif not prose_of[l] then
      code[#code + 1] = lines[l]
    end
  end
  flush()

  local meta = {}
  if title then
    local name, what = title:match("^(%S+) %- (.*)$")
    meta.title = pandoc.MetaInlines({ pandoc.Str(name or title) })
    if what then
      meta.subtitle = pandoc.MetaInlines(inlines_of(what))
    end
  end
  return pandoc.Pandoc(sections, meta)
end
