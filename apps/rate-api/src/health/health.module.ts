import { Module } from '@nestjs/common';
import { RateModule } from '../rate/rate.module';
import { HealthController } from './health.controller';

@Module({ imports: [RateModule], controllers: [HealthController] })
export class HealthModule {}
