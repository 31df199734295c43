// Both failures name the model, the output, the metric, the value and the threshold, and say what to do.
def log = new File(basedir, 'build.log').text
def failure = /target\/classes\/tailor\/model\.onnx failed validation: \w+: max abs error [\d.]+ is above the threshold 0\.000100000; change the pipeline, or relax <minCosine>, <maxAbsError>, <minTop1> or <minPooledCosine>/
assert log =~ /tailor-maven-plugin:[^:]+:validate \(default\) on project validation-fails: / + failure
assert log =~ /tailor-maven-plugin:[^:]+:compile \(default\) on project validation-fails: / + failure
// A model that failed is compiled again next time: its fingerprint was not kept after the failure.
assert log =~ /Compiling \S+bert_tiny\.onnx with quantize\(mode=int8_dynamic\) \(changed since the last build: validation\.data/
assert !new File(basedir, 'target/tailor/model.onnx.fingerprint').text.contains('validation.thresholds')
// The reports are written before the build fails, so that the failure can be looked into.
assert new File(basedir, 'target/tailor/model.validation.md').isFile()
assert new File(basedir, 'target/tailor/model.md').isFile()
return true
