// Package datasets holds the Arrow schemas of riskmap's tables and the workspace store that
// keeps them as Parquet files.
//
// Data flows in through a Writer (one at a time, held by a lock file) as Arrow record batches;
// each batch becomes one Parquet file that is written to a temporary name, fsynced, renamed
// into its Hive-style partition (tables/<table>/<key>=<value>/<id>.parquet) and made durable
// by fsyncing the directory. A reader (any number, never blocked) sees a file whole or not at
// all. File names are content identities (a scan's id is the hash of its XML), so writing the
// same input twice changes nothing. A write that fails (a full disk) returns an error naming
// the table and the cause and leaves nothing behind; arrow-go's Parquet writer panics on some
// failed writes, and GuardParquet turns those panics into such errors.
//
// Readers stream record batches (Store.Scan), so memory stays bounded by the batch size
// whatever the table's size. Who makes an Arrow array or record releases it; the functions
// that return records say so.
//
// Layout of a workspace:
//
//	riskmap.yaml
//	tables/<table>/<partition>/<file>.parquet
//	raw/nmap/<scan_id>.xml
//	models/<name>/<version>/model.onnx, card.json; models/<name>/CURRENT
package datasets
