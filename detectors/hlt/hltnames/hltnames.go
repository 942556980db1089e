// Package hltnames is the catalogue of the HLT histograms: one list shared
// by the HLT detector plug-in (detectors/hlt) and the HLT merger
// simulator's generator, without the plug-in's registration side effect.
package hltnames

// Trended are the short names of the 38 trended HLT histograms; the
// histogram of short name s is named "fHist" + s.
var Trended = []string{
	"ClusterChargeMax", "ClusterChargeTot", "HLTInSize_HLTOutSize", "HLTSize_HLTInOutRatio",
	"SDDclusters_SDDrawSize", "SPDclusters_SDDclusters", "SPDclusters_SPDrawSize",
	"SPDclusters_SSDclusters", "SSDclusters_SDDclusters", "SSDclusters_SSDrawSize",
	"TPCAallClustersRowPhi", "TPCAattachedClustersRowPhi", "TPCCallClustersRowPhi",
	"TPCCattachedClustersRowPhi", "TPCClusterFlags", "TPCClusterSize_TPCCompressedSize",
	"TPCHLTclusters_TPCCompressionRatio", "TPCHLTclusters_TPCFullCompressionRatio",
	"TPCHLTclusters_TPCSplitClusterRatioPad", "TPCHLTclusters_TPCSplitClusterRatioTime",
	"TPCRawSize_TPCCompressedSize", "TPCTrackPt",
	"TPCdEdxMaxIROC", "TPCdEdxMaxOROC1", "TPCdEdxMaxOROC2", "TPCdEdxMaxOROCAll", "TPCdEdxMaxTPCAll",
	"TPCdEdxTotIROC", "TPCdEdxTotOROC1", "TPCdEdxTotOROC2", "TPCdEdxTotOROCAll", "TPCdEdxTotTPCAll",
	"TPCtracks_TPCtracklets", "TZERO_ITSSPDVertexZ", "VZERO_SPDClusters",
	"ZNA_VZEROTrigChargeA", "ZNC_VZEROTrigChargeC", "ZNT_VZEROTrigChargeT",
}
