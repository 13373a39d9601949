package letter

// NeedTool is needTool for the tests of package letter_test, which drive a
// whole Loket and so cannot be inside package letter (the desk imports it).
var NeedTool = needTool
