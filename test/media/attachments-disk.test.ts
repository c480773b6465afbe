import { attachmentSuite, diskStorage } from './suite.js'

attachmentSuite(diskStorage)
