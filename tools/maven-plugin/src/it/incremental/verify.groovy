// The four builds, in order: compiled, skipped, compiled for the changed pipeline, compiled because forced.
def log = new File(basedir, 'build.log').text
def events = (log =~ /\[INFO\] (Compiling \S+bert_tiny\.onnx with .*|Up to date: .*)/).collect { it[1].replaceAll(/\S+bert_tiny\.onnx/, 'bert_tiny.onnx') }
assert events == [
    'Compiling bert_tiny.onnx with identity | dce (no earlier build)',
    'Up to date: target/bert-clean.onnx (model, pipeline, data, settings and plugin unchanged; -Dtailor.force=true recompiles)',
    'Compiling bert_tiny.onnx with identity (changed since the last build: pipeline)',
    'Compiling bert_tiny.onnx with identity (forced (tailor.force))',
] : events
def fingerprint = new File(basedir, 'target/tailor/bert-clean.onnx.fingerprint').text
assert fingerprint.contains('\npipeline=identity\n')
assert fingerprint =~ /model\.sha256=[0-9a-f]{64}/
assert fingerprint =~ /output\.sha256=[0-9a-f]{64}/
return true
