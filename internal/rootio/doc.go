// Package rootio reads and writes ROOT files and TMessages for Overwatch
// without a ROOT installation, robustly: every length and offset read from
// outside bytes is checked against the bytes available before anything is
// allocated, decoding never panics across the package boundary, and parts
// of an object that cannot be decoded (such as a TPaveStats in a
// histogram's function list) are skipped and reported.
//
// The file layer (header, directories, keys, ROOT compression blocks) and
// the streamers of the classes Overwatch models (TH1, TH2 and TH3 of every
// storage type, TProfile, TProfile2D, TGraph, TGraphErrors,
// TGraphAsymmErrors, TObjString) are implemented here, reading every class
// version written by ROOT 3 to 6 and writing the ROOT 6 versions. groot
// (go-hep.org/x/hep/groot) provides the streamer-info database written into
// files and TMessages.
package rootio
