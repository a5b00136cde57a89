-- natt.lua: Wireshark dissector for the openvpn-natt transport (doc/PROTOCOL.md).
--
-- Install: copy into a Lua plugin directory (`make install` puts it in
-- $(libdir)/wireshark/plugins; see `tshark -G folders`), or load it once:
--   tshark -X lua_script:tools/wireshark/natt.lua -r capture.pcap
--
-- Dissects every packet type of PROTOCOL.md: the clear headers in full, the
-- sealed bodies (HANDSHAKE frames, PROBE and rendezvous bodies) as
-- ciphertext with their sizes, DATA with its epoch, receiver CID and
-- counter.  Decryption is natt-inspect's job (--network-key, --keylog).
--
-- Found as a heuristic dissector on UDP: the first byte (PROTOCOL.md 2.1)
-- plus the same plausibility natt_header_decode() applies (version, known
-- type, non-zero CIDs, size limits of the type).  Wireshark registers other
-- protocols on 1194 (OpenVPN) and 3478 (STUN); either set the preference
-- natt.port to the transport's port, or run with
--   -o udp.try_heuristic_first:TRUE
-- STUN (first byte 0-3) and raw OpenVPN (0x08-0x5F) sharing the port are
-- left to Wireshark's own dissectors.  The test suite (tests/inspect.sh)
-- checks that every field here agrees with natt-inspect --json.

local natt = Proto("natt", "OpenVPN NAT traversal transport")

-- PROTOCOL.md 2.1, 5, 6, 7, 10
local VERSION = 1
local TAG_LEN = 16
local T = {
	HANDSHAKE = 0xC1, PROBE = 0xC2, PROBE_REPLY = 0xC3,
	RDV_REGISTER = 0xC8, RDV_REGISTER_ACK = 0xC9, RDV_LOOKUP = 0xCA,
	RDV_LOOKUP_REPLY = 0xCB, RDV_INTRODUCE = 0xCC, DATA = 0xD0,
}
local type_names = {}
for name, code in pairs(T) do type_names[code] = name end

-- header length, smallest body, largest packet, which CIDs must be non-zero
local layout = {
	[T.HANDSHAKE] = {hdr = 42, min_body = 1, max = 1232, dcid = true, scid = true},
	[T.PROBE] = {hdr = 34, min_body = 37, max = 1232, dcid = false, scid = true},
	[T.PROBE_REPLY] = {hdr = 34, min_body = 37, max = 1232, dcid = true, scid = true},
	[T.RDV_REGISTER] = {hdr = 26, min_body = 64, max = 1232},
	[T.RDV_REGISTER_ACK] = {hdr = 26, min_body = 39, max = 1232},
	[T.RDV_LOOKUP] = {hdr = 26, min_body = 304, max = 1232},
	[T.RDV_LOOKUP_REPLY] = {hdr = 26, min_body = 38, max = 1232},
	[T.RDV_INTRODUCE] = {hdr = 26, min_body = 46, max = 1232},
	[T.DATA] = {hdr = 18, min_body = 0, max = 65507, dcid = true},
}
local KEEPALIVE_LEN = 18 + TAG_LEN

local pf = {
	type = ProtoField.uint8("natt.type", "Type", base.HEX, type_names),
	version = ProtoField.uint8("natt.version", "Version", base.DEC),
	dcid = ProtoField.uint64("natt.dcid", "Destination connection ID", base.HEX),
	scid = ProtoField.uint64("natt.scid", "Source connection ID", base.HEX),
	pn = ProtoField.uint64("natt.pn", "Packet number", base.DEC),
	network_id = ProtoField.bytes("natt.network_id", "Network ID"),
	salt = ProtoField.bytes("natt.salt", "Salt"),
	epoch = ProtoField.uint8("natt.epoch", "Key epoch (mod 256)", base.DEC),
	counter = ProtoField.uint64("natt.counter", "Counter (nonce)", base.DEC),
	payload_len = ProtoField.uint32("natt.payload_len", "Payload length (tag included)",
		base.DEC),
	ciphertext = ProtoField.bytes("natt.ciphertext", "Ciphertext"),
	tag = ProtoField.bytes("natt.tag", "Authentication tag"),
	keepalive = ProtoField.bool("natt.keepalive", "Keepalive"),
}
natt.fields = {pf.type, pf.version, pf.dcid, pf.scid, pf.pn, pf.network_id, pf.salt,
	pf.epoch, pf.counter, pf.payload_len, pf.ciphertext, pf.tag, pf.keepalive}

natt.prefs.port = Pref.uint("UDP port", 0,
	"Dissect this UDP port as the transport (0: heuristic only)")

-- The layout of a plausible packet, or nil (mirrors natt_header_decode()).
local function plausible(tvb)
	local len = tvb:len()
	if len < 2 then return nil end
	local b0 = tvb(0, 1):uint()
	if b0 >= 0xC0 and b0 <= 0xCF and tvb(1, 1):uint() ~= VERSION then return nil end
	local l = layout[b0]
	if l == nil or len < l.hdr then return nil end
	if l.dcid and tvb(2, 8):uint64() == UInt64(0) then return nil end
	if l.scid and tvb(10, 8):uint64() == UInt64(0) then return nil end
	if len > l.max or len < l.hdr + l.min_body + TAG_LEN then return nil end
	return l
end

local function sealed(tvb, tree, hdr)
	local len = tvb:len()
	tree:add(pf.payload_len, len - hdr)
	if len - hdr > TAG_LEN then
		tree:add(pf.ciphertext, tvb(hdr, len - hdr - TAG_LEN))
	end
	tree:add(pf.tag, tvb(len - TAG_LEN, TAG_LEN))
end

local function long_header(tvb, tree, b0, l)
	tree:add(pf.version, tvb(1, 1))
	if l.hdr == 26 then
		tree:add(pf.network_id, tvb(2, 8))
	else
		tree:add(pf.dcid, tvb(2, 8))
		tree:add(pf.scid, tvb(10, 8))
		if b0 == T.HANDSHAKE then tree:add(pf.pn, tvb(18, 8)) end
	end
	tree:add(pf.salt, tvb(l.hdr - 16, 16))
end

local function info(tvb, b0)
	local s = type_names[b0]
	if b0 == T.DATA then
		s = string.format("%s epoch %d ctr %s", s, tvb(1, 1):uint(), tvb(10, 8):uint64())
		if tvb:len() == KEEPALIVE_LEN then s = s .. " keepalive" end
	elseif b0 == T.HANDSHAKE then
		s = string.format("%s pn %s", s, tvb(18, 8):uint64())
	end
	return s
end

local function dissect(tvb, pinfo, root, l)
	local b0 = tvb(0, 1):uint()
	local tree = root:add(natt, tvb(), "OpenVPN NAT traversal: " .. type_names[b0])
	pinfo.cols.protocol = "NATT"
	pinfo.cols.info = info(tvb, b0)
	tree:add(pf.type, tvb(0, 1))
	if b0 == T.DATA then
		tree:add(pf.epoch, tvb(1, 1))
		tree:add(pf.dcid, tvb(2, 8))
		tree:add(pf.counter, tvb(10, 8))
		tree:add(pf.keepalive, tvb:len() == KEEPALIVE_LEN)
	else
		long_header(tvb, tree, b0, l)
	end
	sealed(tvb, tree, l.hdr)
	return tvb:len()
end

function natt.dissector(tvb, pinfo, root)
	local l = plausible(tvb)
	if l == nil then return 0 end
	return dissect(tvb, pinfo, root, l)
end

local function heuristic(tvb, pinfo, root)
	local l = plausible(tvb)
	if l == nil then return false end
	dissect(tvb, pinfo, root, l)
	return true
end
natt:register_heuristic("udp", heuristic)

local registered_port = 0
function natt.prefs_changed()
	local udp = DissectorTable.get("udp.port")
	if registered_port ~= 0 then udp:remove(registered_port, natt) end
	registered_port = natt.prefs.port
	if registered_port ~= 0 then udp:add(registered_port, natt) end
end
