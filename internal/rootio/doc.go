// Package rootio reads and writes ROOT files and TMessages for Overwatch
// without a ROOT installation, robustly: every length and offset read from
// outside bytes is checked against the bytes available before anything is
// allocated, decoding never panics across the package boundary, and parts
// of an object that cannot be decoded (such as a TPaveStats in a
// histogram's function list) are skipped and reported.
//
// What is implemented here:
//   - the file layer: header, directories (recursively), keys with any
//     characters in their names, cycles, ROOT compression blocks (ZL, L4,
//     ZS, XZ and the old CS; zlib for writing), written as ROOT 6.28 does
//     (Reader, WriteFile);
//   - the streamers of the classes Overwatch models: TH1, TH2 and TH3 of
//     every storage type (C, S, I, F, D), TProfile, TProfile2D, TGraph,
//     TGraphErrors, TGraphAsymmErrors, TObjString, and the TList,
//     THashList and TObjArray collections of them, reading every class
//     version written by ROOT 3 to 6 and writing the ROOT 6 versions
//     (DecodeObject, EncodeObject);
//   - objects of classes derived from those, read as their base through the
//     file's or a peer's streamer infos (DecodeObjectAs, BaseChain);
//   - TMessages, the payload of the HLT's ZeroMQ messages: either byte order
//     of the length word, kMESS_ZIP compression, streamer-info messages
//     (DecodeTMessage, EncodeTMessage, EncodeStreamerInfosTMessage,
//     StreamerSet).
//
// groot (go-hep.org/x/hep/groot) provides the streamer-info database whose
// entries are written into files and streamer-info messages (with TAtt3D,
// TH3 and TH3C/S/I/F/D added here, their checksums computed as ROOT does),
// and decodes received streamer infos after they were validated here.
package rootio
