--[[
handout.lua - a pandoc filter that puts around a lesson's program (read by
c-source.lua) the rest of its handout: the slide it follows with the
slide's Python, a real run of the programs, the datagrams on the wire, and
the lesson's lab.

Metadata, given with -M:
  slides  handouts/slides/NN-name.md: the slide's text, and in its YAML the
          slide's Python (python:) and what the lesson makes of it (note:)
  lab     the lesson's LAB.md, if it has one
  run     the folder run-lesson wrote: server.txt, client.txt, wire.txt
  prev, next, index   links to the neighbouring pages
]]

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    error("handout.lua: cannot read " .. path)
  end
  local text = f:read("a")
  f:close()
  return text
end

local function meta_string(meta, key)
  local v = meta[key]
  if v == nil then
    return nil
  end
  return pandoc.utils.stringify(v)
end

local function header(level, text, id)
  return pandoc.Header(level, pandoc.Inlines(text), pandoc.Attr(id or ""))
end

local function div(blocks, class)
  return pandoc.Div(blocks, pandoc.Attr("", { class }))
end

local function para(text)
  return pandoc.Para(pandoc.Inlines(text))
end

-- The slide, and beside it the slide's Python, ported to Python 3.
local function slide_part(path)
  local doc = pandoc.read(read_file(path), "markdown")
  local python = pandoc.utils.stringify(doc.meta.python)
  local note = pandoc.utils.stringify(doc.meta.note or "")
  local left = { header(3, "Slide") }
  for _, b in ipairs(doc.blocks) do
    if b.t == "CodeBlock" then
      b.classes = { "slide" }
    end
    left[#left + 1] = b
  end
  local right = {
    header(3, "Python 3"),
    para("The slide's program, ported to Python 3 and runnable: " ..
      python .. "."),
    pandoc.CodeBlock(read_file(python), pandoc.Attr("", { "python" })),
  }
  return {
    header(2, "The slide", "slide"),
    para(note),
    div({ div(left, "half"), div(right, "half") }, "pair"),
  }
end

-- What the programs printed when the build ran them.
local function run_part(dir, wire_ok)
  local where = wire_ok and
      "inside a network namespace of the build's own, whose loopback " ..
      "nothing else uses (so port 10000 is free, as on the slides)" or
      "on this machine's loopback, on a port the kernel chose (port 0)"
  return {
    header(2, "A real run", "run"),
    para("Captured when this page was built: the programs above, really " ..
      "running, " .. where .. ". Left, the server's terminal; right, " ..
      "the client's."),
    div({
      div({ header(3, "Server"),
        pandoc.CodeBlock(read_file(dir .. "/server.txt"),
          pandoc.Attr("", { "transcript" })) }, "half"),
      div({ header(3, "Client"),
        pandoc.CodeBlock(read_file(dir .. "/client.txt"),
          pandoc.Attr("", { "transcript" })) }, "half"),
    }, "pair"),
  }
end

-- tcpdump -x's datagrams: {summary = the decoded lines, bytes = {...}}.
local function parse_wire(text)
  local datagrams = {}
  local cur
  for line in text:gmatch("[^\n]+") do
    local hex = line:match("^%s+0x%x+:%s+(.*)$")
    if hex then
      for pair in hex:gmatch("%x%x%x?%x?") do
        for byte in pair:gmatch("%x%x") do
          cur.bytes[#cur.bytes + 1] = tonumber(byte, 16)
        end
      end
    elseif line:match("^%S") then
      cur = { summary = { line }, bytes = {} }
      datagrams[#datagrams + 1] = cur
    elseif cur then
      cur.summary[#cur.summary + 1] = line:gsub("^%s+", "")
    end
  end
  return datagrams
end

local function u16(b, i)
  return b[i] * 256 + b[i + 1]
end

local function hex_of(b, from, to)
  local out = {}
  for i = from, to do
    out[#out + 1] = string.format("%02x", b[i])
  end
  return table.concat(out, " ")
end

-- Bytes as net_print_escaped() prints them: printable ASCII as itself, a
-- newline as \n, the quote and backslash escaped, all else as \xNN.
local function escaped(b, from, to)
  local names = { [10] = "\\n", [34] = "\\\"", [92] = "\\\\" }
  local out = {}
  for i = from, to do
    local c = b[i]
    out[#out + 1] = names[c] or ((c >= 32 and c < 127) and string.char(c)
      or string.format("\\x%02x", c))
  end
  return '"' .. table.concat(out) .. '"'
end

-- One datagram's bytes, field by field: the IPv4 header, UDP's, the data.
local function wire_table(d)
  local b = d.bytes
  local ihl = (b[1] % 16) * 4
  local rows = {}
  local function row(from, to, layer, field, value)
    rows[#rows + 1] = {
      { pandoc.Plain(pandoc.Inlines(from == to and tostring(from - 1) or
        string.format("%d-%d", from - 1, to - 1))) },
      { pandoc.Plain({ pandoc.Code(hex_of(b, from, to),
        pandoc.Attr("", to - from > 3 and { "long" } or {})) }) },
      { pandoc.Plain({ pandoc.Strong(pandoc.Inlines(layer)), pandoc.Space(),
        table.unpack(pandoc.Inlines(field)) }) },
      { pandoc.Plain(pandoc.Inlines(value)) },
    }
  end
  if b[1] // 16 ~= 4 then
    error("handout.lua: only IPv4 datagrams are labelled, not version " ..
      b[1] // 16)
  end
  local flags = u16(b, 7)
  local cksum = table.concat(d.summary, " "):match("cksum 0x%x+ %-> (0x%x+)")
  row(1, 1, "IP", "version, header length",
    string.format("%d, %d bytes (%d × 4)", b[1] // 16, ihl, b[1] % 16))
  row(2, 2, "IP", "DSCP, ECN (once: type of service)",
    string.format("%d", b[2]))
  row(3, 4, "IP", "total length", string.format("%d bytes", u16(b, 3)))
  row(5, 6, "IP", "identification", string.format("%d", u16(b, 5)))
  row(7, 8, "IP", "flags, fragment offset",
    string.format("%s, offset %d", (flags & 0x4000) ~= 0 and
      "DF (don't fragment)" or "none", flags & 0x1fff))
  row(9, 9, "IP", "time to live", string.format("%d hops", b[9]))
  row(10, 10, "IP", "protocol", string.format("%d (UDP)", b[10]))
  row(11, 12, "IP", "header checksum", string.format("0x%04x", u16(b, 11)))
  row(13, 16, "IP", "source address",
    string.format("%d.%d.%d.%d", b[13], b[14], b[15], b[16]))
  row(17, 20, "IP", "destination address",
    string.format("%d.%d.%d.%d", b[17], b[18], b[19], b[20]))
  local u = ihl + 1
  row(u, u + 1, "UDP", "source port", string.format("%d", u16(b, u)))
  row(u + 2, u + 3, "UDP", "destination port",
    string.format("%d", u16(b, u + 2)))
  row(u + 4, u + 5, "UDP", "length",
    string.format("%d bytes: 8 of header, %d of data", u16(b, u + 4),
      u16(b, u + 4) - 8))
  -- The pseudo-header: the addresses, the protocol, UDP's length.
  local words = { u16(b, 13), u16(b, 15), u16(b, 17), u16(b, 19), b[10],
    u16(b, u + 4) }
  local sum, terms = 0, {}
  for _, w in ipairs(words) do
    sum = sum + w
    terms[#terms + 1] = string.format("%04x", w)
  end
  while sum > 0xffff do
    sum = (sum & 0xffff) + (sum >> 16)
  end
  local partial = u16(b, u + 6)
  row(u + 6, u + 7, "UDP", "checksum",
    string.format("0x%04x: %s%s", partial, partial == sum and
      "the pseudo-header's sum, left for the card to finish" or "as sent",
      cksum and ("; finished: " .. cksum) or ""))
  if #b >= u + 8 then
    row(u + 8, #b, "data", string.format("%d bytes", #b - u - 7),
      escaped(b, u + 8, #b))
  end
  local head = {
    { pandoc.Plain(pandoc.Inlines("offset")) },
    { pandoc.Plain(pandoc.Inlines("hex")) },
    { pandoc.Plain(pandoc.Inlines("field")) },
    { pandoc.Plain(pandoc.Inlines("value")) },
  }
  local simple = pandoc.SimpleTable({}, { "AlignRight", "AlignLeft",
    "AlignLeft", "AlignLeft" }, { 0, 0, 0, 0 }, head, rows)
  local sum_line = pandoc.Para(pandoc.Inlines(string.format("The " ..
    "pseudo-header's sum, in 16-bit words: the source address, the " ..
    "destination address, the protocol and the UDP length: %s = %04x%s.",
    table.concat(terms, " + "), sum, partial == sum and
    ", the checksum field as captured" or "")))
  return { pandoc.utils.from_simple_table(simple), sum_line }
end

local function wire_part(dir)
  local text = read_file(dir .. "/wire.txt")
  local blocks = { header(2, "On the wire", "wire") }
  local missing = text:match("^missing: ([^\n]*)")
  if missing then
    blocks[#blocks + 1] = div({ para("The capture is missing from this " ..
      "copy: " .. missing .. ". A build where it can make a network " ..
      "namespace of its own shows here every datagram of the run above, " ..
      "byte by byte.") }, "missing")
    return blocks, false
  end
  local datagrams = parse_wire(text)
  blocks[#blocks + 1] = para("Every datagram of the run above, as tcpdump " ..
    "saw it on the namespace's loopback (tcpdump -i lo -vv -x): first its " ..
    "own decoding, then the bytes, field by field. IP's header takes 20 " ..
    "bytes, UDP's 8: a source port, a destination port, a length and a " ..
    "checksum, and nothing else. No connection, no sequence number, no " ..
    "acknowledgement: that is all UDP adds to IP.")
  local bad = table.concat(datagrams[1] and datagrams[1].summary or {},
    " "):match("%[(bad udp cksum [^%]]*)%]")
  blocks[#blocks + 1] = para("tcpdump calls every UDP checksum here bad" ..
    (bad and (" (\"" .. bad .. "\")") or "") .. ". It is not finished. UDP's " ..
    "checksum covers the data, the UDP header and a pseudo-header: the " ..
    "source and destination addresses, the protocol number (17) and the " ..
    "UDP length, taken from the IP header. The kernel adds up the " ..
    "pseudo-header and leaves the rest to the network card (checksum " ..
    "offload; ethtool -k shows whether a card does it). No card ever " ..
    "touches a loopback datagram, and the receiving kernel knows the " ..
    "datagram never left the machine, so nobody finishes or checks it. " ..
    "The table shows the sum, and tcpdump, after the arrow, the checksum " ..
    "it should have been. A capture on a sending host with a real card " ..
    "that offloads shows the same unfinished values; one on the " ..
    "receiving host shows the finished ones.")
  blocks[#blocks + 1] = para("An echo carries the same checksum as its " ..
    "request: the same bytes, with the addresses and the ports swapped, " ..
    "add up to the same sum.")
  -- Each datagram in one block, so that paper never splits one.
  for k, d in ipairs(datagrams) do
    blocks[#blocks + 1] = div({
      header(3, string.format("Datagram %d", k)),
      pandoc.CodeBlock(table.concat(d.summary, "\n"),
        pandoc.Attr("", { "tcpdump" })),
      div(wire_table(d), "wire"),
    }, "datagram")
  end
  if #datagrams == 0 then
    error("handout.lua: " .. dir .. "/wire.txt holds no datagram")
  end
  return blocks, true
end

-- The lab: its title a section of the page, its other headers under it.
-- A lesson without one says why in its slide file's "nolab:".
local function lab_part(path, slides)
  local blocks = {}
  if not path then
    local doc = pandoc.read(read_file(slides), "markdown")
    blocks[#blocks + 1] = header(2, "The lab", "lab")
    blocks[#blocks + 1] = para(doc.meta.nolab and
      pandoc.utils.stringify(doc.meta.nolab) or "This lesson has no lab.")
    return blocks
  end
  local doc = pandoc.read(read_file(path), "markdown")
  local titled = false
  doc = doc:walk({
    Header = function(h)
      if h.level == 1 and not titled then
        titled = true
        h.identifier = "lab"
      end
      h.level = h.level + 1
      return h
    end,
  })
  for _, b in ipairs(doc.blocks) do
    blocks[#blocks + 1] = b
  end
  return blocks
end

local function nav(meta)
  local items = {}
  for _, k in ipairs({ "index", "prev", "next" }) do
    local target = meta_string(meta, k)
    if target then
      local label = ({ index = "All lessons", prev = "← Previous",
        next = "Next →" })[k]
      items[#items + 1] = pandoc.Link(label, target)
      items[#items + 1] = pandoc.Space()
    end
  end
  return pandoc.Div({ pandoc.Plain(items) }, pandoc.Attr("", { "nav" }))
end

function Pandoc(doc)
  local meta = doc.meta
  local out = { nav(meta) }
  local function add(blocks)
    for _, b in ipairs(blocks) do
      out[#out + 1] = b
    end
  end
  add(slide_part(meta_string(meta, "slides")))
  out[#out + 1] = header(2, "The program", "program")
  out[#out + 1] = para("Each comment beside the code it explains (above " ..
    "it, on a narrow screen and on paper), in the order you would read " ..
    "them: this is the whole of " ..
    meta_string(meta, "source") .. ", every line.")
  add(doc.blocks)
  local dir = meta_string(meta, "run")
  local wire, ok = wire_part(dir)
  add(run_part(dir, ok))
  add(wire)
  add(lab_part(meta_string(meta, "lab"), meta_string(meta, "slides")))
  out[#out + 1] = nav(meta)
  return pandoc.Pandoc(out, meta)
end
