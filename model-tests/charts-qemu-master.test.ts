import { chartSuite } from './charts.suite.ts';

chartSuite('qemu-master');
